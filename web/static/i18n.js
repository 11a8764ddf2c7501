// Strings in English and Korean, chosen from the browser's language.
const strings = {
  en: {
    live: "LIVE", unmute: "Tap to unmute", viewers: (n) => `${n} watching`,
    noLot: "Waiting for the next lot…", opening: "Opening price", highBid: "High bid", noBids: "No bids yet",
    leader: "Leader", you: "you", bidNext: (a) => `Bid ${a}`, custom: "Your amount", place: "Bid",
    maxBid: "Max bid (the room bids for you up to it)", setMax: "Set max", leading: "You are leading",
    outbid: "You have been outbid", won: (a) => `You won at ${a}!`, sold: (a, w) => `Sold to ${w} at ${a}`,
    unsold: "Not sold", paused: "Paused", closing: "Closing…", ended: "Ended", timeLeft: "Time left",
    cut: "Clock cut!", extended: "Clock extended!", accepted: "Your bid is in", sending: "Sending…",
    history: "Bids", chat: "Chat", say: "Say something", send: "Send", guestName: "Your name for this room",
    reconnecting: "Reconnecting…", connected: "", lobbyTitle: "Live now", upcoming: "Upcoming",
    nothingLive: "No live shows right now.", enter: "Enter", signIn: "Sign in",
    reasons: {
      too_low: "Too low: someone bid that much or more first.", lot_not_live: "This lot is not open for bids.",
      seller_cannot_bid: "Sellers cannot bid on their own lots.", after_deadline: "Too late: the clock had run out.",
      banned: "You are banned from this room.", duplicate: "That bid was already sent.",
      unavailable: "The auction is busy; try again in a moment.", wrong_lot: "That lot is no longer the current one.",
      invalid_amount: "That amount is not a valid step.", currency_mismatch: "Wrong currency for this lot.",
      invalid_bid: "That bid is not valid.", rate_limited: "You are bidding too fast.",
      unauthorized: "Sign in to bid.", forbidden: "You may not bid here.", not_joined: "Not connected to the room yet.",
      room_not_live: "This room is not live.", room_not_found: "This room does not exist.",
      muted: "You are muted.", slow_mode: "Slow mode: wait a little.", invalid_chat: "That message cannot be sent.",
      internal: "Something went wrong on our side.", bad_request: "The request was not understood.",
    },
  },
  ko: {
    live: "LIVE", unmute: "눌러서 소리 켜기", viewers: (n) => `${n}명 시청 중`,
    noLot: "다음 물품을 기다리는 중…", opening: "시작가", highBid: "최고 입찰가", noBids: "아직 입찰이 없습니다",
    leader: "최고 입찰자", you: "나", bidNext: (a) => `${a} 입찰`, custom: "입찰 금액", place: "입찰",
    maxBid: "최대 입찰가 (그 금액까지 자동 입찰)", setMax: "최대가 설정", leading: "최고 입찰자입니다",
    outbid: "다른 사람이 더 높게 입찰했습니다", won: (a) => `${a}에 낙찰되었습니다!`, sold: (a, w) => `${w}님께 ${a}에 낙찰`,
    unsold: "유찰", paused: "일시정지", closing: "마감 중…", ended: "종료", timeLeft: "남은 시간",
    cut: "시간 단축!", extended: "시간 연장!", accepted: "입찰이 접수되었습니다", sending: "보내는 중…",
    history: "입찰 내역", chat: "채팅", say: "메시지 입력", send: "보내기", guestName: "이 방에서 쓸 이름",
    reconnecting: "다시 연결하는 중…", connected: "", lobbyTitle: "지금 방송 중", upcoming: "예정된 방송",
    nothingLive: "지금 방송 중인 경매가 없습니다.", enter: "입장", signIn: "로그인",
    reasons: {
      too_low: "금액이 낮습니다: 누군가 먼저 같거나 더 높게 입찰했습니다.", lot_not_live: "지금은 이 물품에 입찰할 수 없습니다.",
      seller_cannot_bid: "판매자는 자기 물품에 입찰할 수 없습니다.", after_deadline: "늦었습니다: 시간이 끝났습니다.",
      banned: "이 방에서 차단되었습니다.", duplicate: "이미 보낸 입찰입니다.",
      unavailable: "경매가 바쁩니다. 잠시 후 다시 시도하세요.", wrong_lot: "이미 지난 물품입니다.",
      invalid_amount: "입찰 단위에 맞지 않는 금액입니다.", currency_mismatch: "이 물품의 통화가 아닙니다.",
      invalid_bid: "올바르지 않은 입찰입니다.", rate_limited: "입찰이 너무 빠릅니다.",
      unauthorized: "입찰하려면 로그인하세요.", forbidden: "여기에서는 입찰할 수 없습니다.", not_joined: "아직 방에 연결되지 않았습니다.",
      room_not_live: "방송 중인 방이 아닙니다.", room_not_found: "없는 방입니다.",
      muted: "채팅이 제한되었습니다.", slow_mode: "슬로 모드: 잠시 기다리세요.", invalid_chat: "보낼 수 없는 메시지입니다.",
      internal: "서버에 문제가 생겼습니다.", bad_request: "요청을 이해하지 못했습니다.",
    },
  },
};

/** lang is "ko" for Korean browsers and "en" otherwise. */
export const lang = (navigator.language || "en").toLowerCase().startsWith("ko") ? "ko" : "en";
/** t holds the strings of the chosen language. */
export const t = strings[lang];

/** reason turns a stable error or rejection code into a sentence. */
export function reason(code, fallback) {
  return t.reasons[code] || fallback || code;
}

const minorDigits = (currency) => new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;

/** money formats an amount in minor units (an integer) of currency. */
export function money(amount, currency) {
  if (amount == null || !currency) return "–";
  const digits = minorDigits(currency);
  return new Intl.NumberFormat(lang === "ko" ? "ko-KR" : "en", { style: "currency", currency }).format(amount / 10 ** digits);
}

/** toMinor parses what a user typed (in major units) into integer minor units, or null. */
export function toMinor(text, currency) {
  const digits = minorDigits(currency);
  const m = String(text).replace(/[,\s]/g, "").match(/^(\d+)(?:\.(\d*))?$/);
  if (!m) return null;
  const frac = (m[2] || "").padEnd(digits, "0");
  if (frac.length > digits) return null;
  return Number(m[1]) * 10 ** digits + Number(frac || "0");
}
