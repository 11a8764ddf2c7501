// Strings in English and Korean, chosen from the browser's language.
const strings = {
  en: {
    live: "LIVE", unmute: "Tap to unmute", viewers: (n) => `${n} watching`,
    noLot: "Waiting for the next lot…", opening: "Opening price", highBid: "High bid", noBids: "No bids yet",
    leader: "Leader", you: "you", bidNext: (a) => `Bid ${a}`, custom: "Your amount", place: "Bid",
    maxBid: "Max bid (the room bids for you up to it)", setMax: "Set max", leading: "You are leading",
    outbid: "You have been outbid", won: (a) => `You won at ${a}!`, sold: (a, w) => `Sold to ${w} at ${a}`,
    unsold: "Not sold", paused: "Paused", closing: "Closing…", ended: "Ended", timeLeft: "Time left",
    cut: "Clock cut!", extended: "Clock extended!", accepted: "Your bid is in", maxSet: "Your maximum is set", sending: "Sending…",
    history: "Bids", chat: "Chat", say: "Say something", send: "Send", guestName: "Your name for this room",
    reconnecting: "Reconnecting…", connected: "", lobbyTitle: "Live now", waitingSeller: "Waiting for the seller", upcoming: "Upcoming",
    nothingLive: "No live shows right now.", enter: "Enter", signIn: "Sign in",
    studio: "Studio", account: "Account", signOut: "Sign out", guestSignIn: "Continue as a guest",
    loginTitle: "Sign in to Bidcast", loginWith: (p) => `Continue with ${p}`, noProviders: "No identity providers are set up on this server.",
    myBids: "My bids", myWins: "Lots I won", nothingYet: "Nothing yet.", outcome: { accepted: "accepted", rejected: "rejected" },
    becomeSeller: "Apply to sell", applied: "Application sent. An operator will review it.", role: (r) => `Role: ${r}`,
    needSeller: "The studio is for sellers. Apply to sell from your account page.", needLogin: "Sign in to use the studio.",
    shows: "Your shows", newShow: "New show title", create: "Create", save: "Save", remove: "Remove", edit: "Edit", cancel: "Cancel",
    status: { draft: "draft", scheduled: "scheduled", live: "live", ended: "ended", pending: "pending", paused: "paused",
      closing: "closing", sold: "sold", unsold: "unsold", cancelled: "cancelled", processing: "processing", ready: "ready", failed: "failed" },
    broadcast: "Broadcast", startCamera: "Start camera", flip: "Switch camera", mute: "Mute mic", unmuteMic: "Unmute mic",
    goLive: "Go live", stopAir: "Stop broadcast", endShow: "End show", onAir: "On air", offAir: "Not broadcasting",
    connecting: "Connecting…", cameraDenied: "The camera could not be opened: ",
    startNext: "Start next lot", pause: "Pause", resume: "Resume", endLot: "End lot", skip: "Skip", relist: "Relist", start: "Start",
    obs: "OBS / WHIP", whipURL: "WHIP URL", newToken: "New publish token", tokenNote: "Shown once; the previous token stops working.",
    queue: "Lot queue", addLot: "Add lot", item: "Item", currency: "Currency", openingPrice: "Opening price", reserve: "Reserve (hidden, optional)",
    duration: "Clock (seconds)", policy: "Clock policy", increments: "Increments (from:step, …)", window: "Window (s)", floor: "Floor (s)",
    policies: { dynamic: "Dynamic (bids cut the clock)", "soft-close": "Soft close (late bids extend)", "sudden-death": "Sudden death" },
    items: "Items", newItem: "New item", title: "Title", description: "Description", category: "Category",
    photos: "Photos and videos", upload: "Upload", uploading: "Uploading…", chooseRoom: "Create or choose a show first.",
    uploadStates: { done: "uploaded", failed: "failed", cancelled: "cancelled" },
    unfinished: "Unfinished uploads (choose the same file for the same item to continue)",
    chatMod: "Chat and moderation", muteUser: "Mute 5 min", ban: "Ban", del: "Delete", slow: "Slow mode", off: "off",
    done: "Done.", noItems: "Create an item first.", badAmount: "Enter a whole amount in the currency (no more decimals than it has).",
    badIncrements: "Increments look like 0:1000, 100000:5000 (amounts in the currency).", confirmEnd: "End the show for everyone?",
    confirmBan: (n) => `Ban ${n} from this room? They can no longer join, chat or bid here.`,
    guestsMayBid: "Guests may bid (no sign-in needed)",
    guideTitle: "Your first show in four steps", hideGuide: "Hide", showMe: "Show me",
    guideShow: "Name your show", guideItem: "Add an item: a title, and a photo or a clip",
    guideLot: "Queue the item as a lot, with its opening price and clock", guideLive: "Start the camera and go live",
    tooLow: (m) => `Too low: the minimum bid now is ${m}.`, badStep: (m) => `That amount does not fit the bid steps; the minimum now is ${m}.`,
    notNumber: "That is not a number: type an amount, like 12000.", minimum: (m) => `Minimum bid now: ${m}`, moreBids: "Your amount…",
    frozen: "Reconnecting… bidding resumes when the connection is back.", signInToBid: (a) => `Sign in to bid ${a}`.trim(),
    guestsCannotBid: "Guests can't bid in this room — sign in to bid.", sellerOffline: "The seller is offline. The show resumes when they are back on camera.",
    notStarted: "The show has not started yet.", noRoom: "No such room", noRoomText: "This room does not exist, or its link is mistyped.",
    sellerTag: "seller", wonNext: "It is listed with your wins in your account.",
    summary: "Show summary", showSummary: "Show results", csv: "Download CSV", winner: "Winner", price: "Price", lot: "Lot", outcomeCol: "Outcome",
    summaryTotals: (n, sold, unsold, total) => `Closed: ${n} · Sold: ${sold} · Not sold: ${unsold} · Total: ${total}`,
    showEnded: "This show has ended.",
    inbox: "Notifications", unread: (n) => `${n} new`, aLot: "a lot", seeAll: "See all",
    notice: { outbid: (i, a) => `Outbid on ${i}: ${a}`, won: (i, a) => `You won ${i} at ${a}`,
      sold: (i, a) => `${i} sold at ${a}`, unsold: (i) => `${i} closed unsold`, seller_live: (r) => `Live now: ${r}` },
    follow: "Follow", following: "Following", followers: (n) => `${n} following`, myFollowing: "Sellers I follow",
    liveNow: "live now", unfollow: "Unfollow",
    loginHint: "You can still watch and bid as a guest: enter a name below. Operators enable Google, GitHub, Kakao or Naver sign-in with the AUTH_…_CLIENT_ID and _SECRET settings (see the README).",
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
      conflict: "That does not fit the room's state right now.", too_many_connections: "You have too many windows open on this server; close one and retry.", media_unavailable: "This server has no video service.",
      unknown_session: "The video session has ended.", unknown_type: "This page is out of date; reload it.",
      unsupported_version: "This page is out of date; reload it.", too_large: "That message is too long.",
      origin_rejected: "This page's address may not connect.", not_found: "Not found.", unsupported_type: "That file type is not supported.",
      image_too_big: "That image is too large.", invalid_file: "That file could not be read.", invalid: "Some fields are not valid.",
      precondition_failed: "Someone else changed this meanwhile; reload.", no_reserve: "The reserve was not met.",
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
    cut: "시간 단축!", extended: "시간 연장!", accepted: "입찰이 접수되었습니다", maxSet: "최대 입찰가가 설정되었습니다", sending: "보내는 중…",
    history: "입찰 내역", chat: "채팅", say: "메시지 입력", send: "보내기", guestName: "이 방에서 쓸 이름",
    reconnecting: "다시 연결하는 중…", connected: "", lobbyTitle: "지금 방송 중", waitingSeller: "판매자를 기다리는 중", upcoming: "예정된 방송",
    nothingLive: "지금 방송 중인 경매가 없습니다.", enter: "입장", signIn: "로그인",
    studio: "스튜디오", account: "내 계정", signOut: "로그아웃", guestSignIn: "게스트로 계속",
    loginTitle: "Bidcast 로그인", loginWith: (p) => `${p}(으)로 계속`, noProviders: "이 서버에 설정된 로그인 제공자가 없습니다.",
    myBids: "내 입찰", myWins: "낙찰 받은 물품", nothingYet: "아직 없습니다.", outcome: { accepted: "접수", rejected: "거절" },
    becomeSeller: "판매자 신청", applied: "신청했습니다. 운영자가 검토합니다.", role: (r) => `역할: ${r}`,
    needSeller: "스튜디오는 판매자용입니다. 내 계정에서 판매자 신청을 하세요.", needLogin: "스튜디오를 쓰려면 로그인하세요.",
    shows: "내 방송", newShow: "새 방송 제목", create: "만들기", save: "저장", remove: "삭제", edit: "편집", cancel: "취소",
    status: { draft: "준비 중", scheduled: "예정", live: "방송 중", ended: "종료", pending: "대기", paused: "일시정지",
      closing: "마감 중", sold: "낙찰", unsold: "유찰", cancelled: "취소", processing: "처리 중", ready: "완료", failed: "실패" },
    broadcast: "방송", startCamera: "카메라 켜기", flip: "카메라 전환", mute: "마이크 끄기", unmuteMic: "마이크 켜기",
    goLive: "방송 시작", stopAir: "송출 중지", endShow: "방송 종료", onAir: "송출 중", offAir: "송출하지 않음",
    connecting: "연결 중…", cameraDenied: "카메라를 열 수 없습니다: ",
    startNext: "다음 물품 시작", pause: "일시정지", resume: "재개", endLot: "마감", skip: "건너뛰기", relist: "재출품", start: "시작",
    obs: "OBS / WHIP", whipURL: "WHIP 주소", newToken: "새 송출 토큰", tokenNote: "한 번만 보여 줍니다. 이전 토큰은 바로 무효가 됩니다.",
    queue: "출품 순서", addLot: "출품 추가", item: "물품", currency: "통화", openingPrice: "시작가", reserve: "최저 낙찰가 (비공개, 선택)",
    duration: "시간 (초)", policy: "시간 규칙", increments: "입찰 단위 (가격:단위, …)", window: "연장 구간 (초)", floor: "최소 시간 (초)",
    policies: { dynamic: "다이내믹 (입찰하면 시간 단축)", "soft-close": "소프트 클로즈 (막판 입찰 시 연장)", "sudden-death": "서든 데스" },
    items: "물품", newItem: "새 물품", title: "제목", description: "설명", category: "분류",
    photos: "사진과 동영상", upload: "올리기", uploading: "올리는 중…", chooseRoom: "먼저 방송을 만들거나 고르세요.",
    uploadStates: { done: "올림", failed: "실패", cancelled: "취소됨" },
    unfinished: "끝나지 않은 올리기 (같은 물품에 같은 파일을 다시 고르면 이어서 올립니다)",
    chatMod: "채팅 관리", muteUser: "5분 채팅 금지", ban: "차단", del: "삭제", slow: "슬로 모드", off: "끔",
    done: "완료했습니다.", noItems: "먼저 물품을 만드세요.", badAmount: "통화 단위에 맞는 금액을 입력하세요.",
    badIncrements: "입찰 단위는 0:1000, 100000:5000 처럼 씁니다.", confirmEnd: "모두에게 방송을 종료할까요?",
    confirmBan: (n) => `${n} 님을 이 방에서 차단할까요? 더 이상 입장, 채팅, 입찰을 할 수 없습니다.`,
    guestsMayBid: "게스트도 입찰 가능 (로그인 없이)",
    guideTitle: "네 단계로 여는 첫 방송", hideGuide: "숨기기", showMe: "바로 가기",
    guideShow: "방송 이름 정하기", guideItem: "물품 등록: 제목과 사진 또는 영상",
    guideLot: "물품을 출품 순서에 올리기: 시작가와 시간", guideLive: "카메라를 켜고 방송 시작",
    tooLow: (m) => `금액이 낮습니다: 지금 최소 입찰가는 ${m}입니다.`, badStep: (m) => `입찰 단위에 맞지 않는 금액입니다. 지금 최소 입찰가는 ${m}입니다.`,
    notNumber: "숫자가 아닙니다: 12000처럼 금액을 입력하세요.", minimum: (m) => `지금 최소 입찰가: ${m}`, moreBids: "직접 입력…",
    frozen: "다시 연결하는 중… 연결되면 입찰할 수 있습니다.", signInToBid: (a) => `로그인하고 ${a} 입찰`.replace("  ", " "),
    guestsCannotBid: "이 방에서는 게스트가 입찰할 수 없습니다 — 로그인하세요.", sellerOffline: "판매자가 오프라인입니다. 카메라가 다시 켜지면 방송이 이어집니다.",
    notStarted: "방송이 아직 시작되지 않았습니다.", noRoom: "없는 방입니다", noRoomText: "이 방은 없거나 주소가 잘못되었습니다.",
    sellerTag: "판매자", wonNext: "내 계정의 낙찰 목록에서 확인할 수 있습니다.",
    summary: "방송 결과", showSummary: "결과 보기", csv: "CSV 내려받기", winner: "낙찰자", price: "가격", lot: "물품", outcomeCol: "결과",
    summaryTotals: (n, sold, unsold, total) => `마감 ${n}건 · 낙찰 ${sold}건 · 유찰 ${unsold}건 · 합계 ${total}`,
    showEnded: "방송이 끝났습니다.",
    inbox: "알림", unread: (n) => `새 알림 ${n}개`, aLot: "물품", seeAll: "모두 보기",
    notice: { outbid: (i, a) => `${i}: 다른 사람이 ${a}에 입찰했습니다`, won: (i, a) => `${i}을(를) ${a}에 낙찰받았습니다`,
      sold: (i, a) => `${i}이(가) ${a}에 판매되었습니다`, unsold: (i) => `${i}이(가) 유찰되었습니다`, seller_live: (r) => `지금 방송 중: ${r}` },
    follow: "팔로우", following: "팔로잉", followers: (n) => `팔로워 ${n}명`, myFollowing: "팔로우한 판매자",
    liveNow: "방송 중", unfollow: "팔로우 취소",
    loginHint: "게스트로도 시청하고 입찰할 수 있습니다: 아래에 이름을 입력하세요. 운영자는 AUTH_…_CLIENT_ID 와 _SECRET 설정으로 Google, GitHub, 카카오, 네이버 로그인을 켭니다 (README 참고).",
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
      conflict: "지금 방 상태에서는 할 수 없습니다.", too_many_connections: "이 서버에 열린 창이 너무 많습니다. 하나를 닫고 다시 시도하세요.", media_unavailable: "이 서버에는 영상 서비스가 없습니다.",
      unknown_session: "영상 세션이 끝났습니다.", unknown_type: "페이지가 오래되었습니다. 새로고침하세요.",
      unsupported_version: "페이지가 오래되었습니다. 새로고침하세요.", too_large: "메시지가 너무 깁니다.",
      origin_rejected: "이 주소에서는 연결할 수 없습니다.", not_found: "찾을 수 없습니다.", unsupported_type: "지원하지 않는 파일 형식입니다.",
      image_too_big: "이미지가 너무 큽니다.", invalid_file: "파일을 읽을 수 없습니다.", invalid: "올바르지 않은 항목이 있습니다.",
      precondition_failed: "그 사이 다른 곳에서 바뀌었습니다. 새로고침하세요.", no_reserve: "최저 낙찰가에 못 미쳤습니다.",
      internal: "서버에 문제가 생겼습니다.", bad_request: "요청을 이해하지 못했습니다.",
    },
  },
};

/** lang is "ko" for Korean browsers and "en" otherwise. */
export const lang = (navigator.language || "en").toLowerCase().startsWith("ko") ? "ko" : "en";
/** t holds the strings of the chosen language. */
export const t = strings[lang];
// The page says which language it is in (screen readers pick their voice
// from it); the HTML's lang="en" holds until this module runs.
document.documentElement.lang = lang;

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

/** plainAmount writes minor units of currency as a plain decimal number in major units ("12000", "12.50"), for files. */
export function plainAmount(amount, currency) {
  if (amount == null || !currency) return "";
  const digits = minorDigits(currency);
  if (!digits) return String(amount);
  const s = String(Math.abs(amount)).padStart(digits + 1, "0");
  return (amount < 0 ? "-" : "") + s.slice(0, -digits) + "." + s.slice(-digits);
}
