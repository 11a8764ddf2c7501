// The bidder's room page: WHEP video, the live lot with its clock, bidding,
// history and chat over the WebSocket protocol (docs/protocol.md).
import { t, reason, money, toMinor } from "/i18n.js";
import { Socket } from "/socket.js";
import { call, guest, me, navLinks, thumbnail } from "/api.js";
import { watch } from "/whep.js";
import { noticeText, watchNotices } from "/notices.js";

const $ = (id) => document.getElementById(id);
const roomID = location.pathname.split("/")[2] || "";
// An invitation to a private room comes in the fragment (#vt=...), which
// browsers never send to a server, so it stays out of logs and Referers.
const viewerToken = new URLSearchParams(location.hash.slice(1)).get("vt") || "";

const state = {
  me: null,        // {user_id, display_name, alias, ...} from the snapshot; events name bidders by alias
  room: null,
  lot: null,       // the actor's lot view, updated by events
  lotInfo: {},     // lot id → {title, description}
  offset: 0,       // server time − local time, ms
  wasLeading: false,
  myBids: new Set(),
  clockChanges: 0, // deadline moves seen (cuts and extensions)
  connected: false, // the socket is up and joined; while down the page freezes bidding
  lotSpan: 0,      // ms from the lot's start (or last clock move) to its deadline, for the countdown bar
};

// ---- text that does not change -------------------------------------------
$("live-dot").textContent = t.live;
$("unmute").textContent = t.unmute;
$("opening-label").textContent = t.opening;
$("high-label").textContent = t.highBid;
$("clock-label").textContent = t.timeLeft;
$("custom").placeholder = t.custom;
$("custom").setAttribute("aria-label", t.custom);
$("max").setAttribute("aria-label", t.maxBid);
$("more").textContent = t.moreBids;
$("custom-bid").textContent = t.place;
$("max").placeholder = t.maxBid;
$("max-bid").textContent = t.setMax;
$("history-label").textContent = t.history;
$("chat-label").textContent = t.chat;
$("chat-text").placeholder = t.say;
$("chat-send").textContent = t.send;
$("chat-text").setAttribute("aria-label", t.say);
$("gone-home").textContent = t.lobbyTitle;

// ---- messages ---------------------------------------------------------------
function say(text, kind) {
  const m = $("message");
  m.textContent = text;
  m.className = "message " + (kind || "");
}

// ---- sign-in: a guest name unless already signed in ------------------------
async function ensureSession() {
  let user = await me();
  if (!user) {
    const name = new URLSearchParams(location.search).get("name") || `Guest ${Math.floor(1000 + Math.random() * 9000)}`;
    user = await guest(name);
  }
  navLinks(user, t);
  state.user = user;
}

// roomExists asks the API for the room: a 404 means there is no such room
// (a private room's invitation may be the only way in, so with one the page
// tries anyway). Any other failure lets the socket tell.
async function roomExists() {
  if (viewerToken) return true;
  try {
    const r = await fetch(`/api/v1/rooms/${roomID}`, { credentials: "same-origin" });
    if (r.ok) {
      const room = await r.json();
      state.ended = room.status === "ended";
      state.sellerID = room.seller_id;
      state.roomTitle = room.title;
    }
    return r.status !== 404;
  } catch { return true; }
}

// showGoing is what the player asks before each retry: false once the room
// has ended (the seller will not come back on air), so an ended room's
// player stops instead of retrying every 3 s. A failed look keeps trying.
async function showGoing() {
  try {
    const r = await fetch(`/api/v1/rooms/${roomID}`, { credentials: "same-origin",
      headers: viewerToken ? { "X-Viewer-Token": viewerToken } : {} });
    if (r.ok && (await r.json()).status === "ended") state.ended = true;
  } catch { /* keep trying */ }
  return !state.ended;
}

// showGone replaces the room with a "no such room" notice: no player, no
// socket, no guest account.
function showGone() {
  $("room").classList.add("is-gone");
  document.body.classList.add("gone-page");
  $("gone-title").textContent = t.noRoom;
  $("gone-text").textContent = t.noRoomText;
  $("gone").classList.remove("hidden");
  document.title = `Bidcast · ${t.noRoom}`;
}

// ---- lot details from the JSON API (title, description) --------------------
async function loadLotInfo(lotID) {
  if (!lotID || state.lotInfo[lotID]) return;
  state.lotInfo[lotID] = { title: "", description: "", media: [] };
  try {
    const r = await fetch(`/api/v1/lots/${lotID}`, { credentials: "same-origin" });
    if (r.ok) {
      const lot = await r.json();
      state.lotInfo[lotID] = {
        title: lot.item?.title || "", description: lot.item?.description || "",
        // Photos appear when the API lists the item's media with the lot.
        media: (lot.item?.media || []).filter((m) => m.status === "ready" && m.urls),
        opening: lot.opening_price != null ? { amount: lot.opening_price, currency: lot.currency } : null,
      };
      render();
    }
  } catch { /* the page works without it */ }
}

// ---- applying server state ----------------------------------------------------
function applySnapshot(data) {
  if ($("message").textContent === reason("room_not_live")) say(""); // it is live now
  state.me = data.you || state.me;
  state.notLive = false;
  state.room = data.room || state.room;
  if (state.lot?.id !== data.state?.lot?.id) resetLot();
  state.lot = data.state?.lot || null;
  $("history").replaceChildren();
  for (const b of data.state?.history || []) addHistory(b);
  $("chat").replaceChildren();
  for (const c of data.chat || []) addChat(c);
  if (data.viewers != null) $("viewers").textContent = t.viewers(data.viewers);
  state.wasLeading = isLeading();
  loadLotInfo(state.lot?.id);
  render();
}

function applyEvent(type, ev) {
  if (type === "chat.message") return addChat(ev);
  if (type === "chat.deleted") return document.querySelector(`[data-message="${CSS.escape(ev.message_id)}"]`)?.remove();
  if (!ev.lot_id) return;
  const before = state.lot?.deadline ? Date.parse(state.lot.deadline) : 0;
  if (type === "lot.started" || !state.lot || state.lot.id !== ev.lot_id) {
    state.lot = { id: ev.lot_id, history: [] };
    resetLot();
    loadLotInfo(ev.lot_id);
  }
  const lot = state.lot;
  if (ev.status) lot.status = ev.status;
  if (ev.high_bid) lot.high_bid = ev.high_bid;
  if (ev.next_min) lot.next_min = ev.next_min;
  if ("leader" in ev) lot.leader = ev.leader;
  if (ev.deadline) lot.deadline = ev.deadline;
  if (ev.remaining_ms) lot.remaining_ms = ev.remaining_ms;
  if (ev.result) lot.result = ev.result;
  if (!lot.opening && ev.next_min && !ev.high_bid) lot.opening = ev.next_min;
  const after = lot.deadline ? Date.parse(lot.deadline) : 0;
  if (before && after && after !== before && type !== "lot.started") flashClock(after < before ? "cut" : "extended");

  if (type === "bid.accepted") {
    // Everyone gets the bids as plain bids by alias; only the bidder's own
    // copy carries its bid_id (and a maximum, which is not a price).
    for (const b of [ev.bid, ...(ev.auto_bids || [])]) if (b && b.kind !== "max") addHistory(b);
    if (ev.bid?.bid_id) say(ev.bid.kind === "max" ? t.maxSet : `${t.accepted}: ${money(ev.bid.amount?.amount, ev.bid.amount?.currency)}`, "ok");
  }
  if (type === "bid.rejected") say(rejection(ev.reason), "error"); // private to the bidder
  if (type === "bid.outbid") say(t.outbid, "error");
  // Only the bidder it concerns looks sooner, so a close does not send
  // every viewer to the API at once.
  const wonIt = type === "lot.closed" && ev.result?.winner && ev.result.winner === state.me?.alias;
  if (type === "bid.outbid" || wonIt) lookForNotices();
  render();
}

// ---- notifications: a toast when one arrives ---------------------------------
// The inbox lives on the account page; here a toast shows each notification
// that arrives while the room is open (from this room or another). The page
// looks every 30 s, and soon after the bidder's own outbid and win events in
// this room, which are when the bid pipeline writes them: a steady slow poll
// keeps the load on the API small, the event-driven looks make the toast
// feel live.
let lookForNotices = () => {};
let toastTimer = 0;
function toast(n) {
  const el = $("toast");
  el.textContent = noticeText(n);
  el.dataset.kind = n.kind;
  el.classList.remove("hidden");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.add("hidden"), 8000);
}

// resetLot forgets what belonged to the previous lot: its history, result,
// the bidder's leading/outbid status and the last message.
function resetLot() {
  $("history").replaceChildren();
  $("banner").classList.add("hidden");
  state.wasLeading = false;
  state.lotSpan = 0;
  say("");
}

// rejection is a refused bid's sentence; a too-low or malformed amount
// states the minimum the lot takes now.
function rejection(code) {
  const next = state.lot?.next_min;
  if (next && (code === "too_low" || code === "invalid_amount")) {
    const min = money(next.amount, next.currency);
    return code === "too_low" ? t.tooLow(min) : t.badStep(min);
  }
  return reason(code);
}

// ---- rendering -----------------------------------------------------------------
function isLeading() {
  return !!(state.me?.alias && state.lot?.leader && state.lot.leader === state.me.alias);
}

// itemVideo is a lot's clip: native HLS where the browser has it (Safari),
// else the progressive MP4 the media worker also makes (Chromium, Firefox).
function itemVideo(m) {
  const v = document.createElement("video");
  v.controls = true;
  v.playsInline = true;
  v.muted = true;
  v.preload = "none";
  v.poster = m.urls.poster || "";
  v.src = (v.canPlayType("application/vnd.apple.mpegurl") && m.urls.hls) || m.urls.mp4 || m.urls.hls;
  v.className = "item-video";
  return v;
}

function render() {
  const lot = state.lot;
  $("room-title").textContent = state.room?.title || state.roomTitle || "";
  $("live-dot").classList.toggle("hidden", state.room?.status !== "live");
  const info = (lot && state.lotInfo[lot.id]) || {};
  $("lot-title").textContent = lot ? info.title || "" : state.ended ? "" : t.noLot;
  $("lot-description").textContent = info.description || "";
  if ($("lot-photos").dataset.lot !== (lot?.id || "") || $("lot-photos").childElementCount !== (info.media || []).length) {
    $("lot-photos").dataset.lot = lot?.id || "";
    $("lot-photos").replaceChildren(...(info.media || []).map((m) => {
      if (m.kind === "video") return itemVideo(m);
      const img = document.createElement("img");
      img.alt = info.title || "";
      img.src = thumbnail(m);
      return img;
    }));
  }
  if (lot && !lot.opening && info.opening) lot.opening = info.opening;
  const cur = lot?.next_min?.currency || lot?.high_bid?.currency || lot?.opening?.currency;
  $("opening").textContent = lot?.opening ? money(lot.opening.amount, lot.opening.currency) : "–";
  $("opening").parentElement.classList.toggle("hidden", !lot);
  $("price").textContent = lot?.high_bid?.amount ? money(lot.high_bid.amount, lot.high_bid.currency) : t.noBids;
  $("leader").textContent = lot?.leader ? `${t.leader}: ${who(lot.leader)}` : "";
  const open = lot && (lot.status === "live" || lot.status === "closing");
  const next = lot?.next_min;
  const bid = $("bid");
  const guestBlocked = state.me?.can_bid === false && state.me?.guest;
  bid.disabled = !state.connected || !open || !next || (state.me?.can_bid === false && !guestBlocked) || state.me?.seller;
  bid.textContent = guestBlocked ? t.signInToBid(next && open ? money(next.amount, next.currency) : "")
    : next && open ? t.bidNext(money(next.amount, next.currency)) : t.place;
  bid.classList.toggle("signin", !!guestBlocked);
  if (guestBlocked) bid.disabled = false; // it leads to the sign-in page
  for (const id of ["custom-bid", "max-bid"]) $(id).disabled = bid.disabled || !!guestBlocked;
  $("more").disabled = $("custom-bid").disabled;
  $("sheet-note").textContent = next ? t.minimum(money(next.amount, next.currency)) : "";
  if (state.connected) state.everUp = true;
  const down = !state.connected && state.everUp;
  const why = down ? t.frozen : guestBlocked ? t.guestsCannotBid : state.me?.seller ? reason("seller_cannot_bid") : "";
  $("why").textContent = why;
  $("why").classList.toggle("hidden", !why);
  $("room").classList.toggle("offline-socket", !state.connected);

  const leading = isLeading() && state.connected;
  const status = $("status");
  if (leading) { status.textContent = t.leading; status.className = "status leading"; }
  else if (state.wasLeading) { status.textContent = t.outbid; status.className = "status outbid"; }
  status.classList.toggle("hidden", !lot || !state.connected || (!leading && !state.wasLeading));
  if (lot?.status === "live") state.wasLeading = leading || state.wasLeading;

  const banner = $("banner");
  if (lot?.result) {
    const r = lot.result;
    const price = money(r.price?.amount, r.price?.currency || cur);
    const mine = r.status === "sold" && r.winner && r.winner === state.me?.alias;
    banner.textContent = r.status === "sold" ? (mine ? t.won(price) : t.sold(price, r.winner || "?")) : t.unsold;
    if (mine) { // what happens next: the won lot is on the account page
      const a = document.createElement("a");
      a.href = "/account";
      a.textContent = t.wonNext;
      banner.append(document.createElement("br"), a);
    }
    banner.classList.remove("hidden");
    if ($("message").classList.contains("ok")) say(""); // "your bid is in" is old news: the banner says how it ended
    status.classList.add("hidden"); // the banner says it
  }
  tick();
}

// who names a bidder: "you", or their alias in this room (never an ID).
function who(alias) {
  return alias && alias === state.me?.alias ? t.you : alias || "?";
}

function addHistory(b) {
  const li = document.createElement("li");
  li.textContent = `${money(b.amount?.amount, b.amount?.currency)} · ${who(b.bidder)}`;
  $("history").prepend(li);
}

function addChat(c) {
  const li = document.createElement("li");
  li.dataset.message = c.message_id;
  const name = document.createElement("strong");
  name.textContent = c.display_name || "?";
  li.append(name);
  if (c.seller) {
    const tag = document.createElement("span");
    tag.className = "tag";
    tag.textContent = t.sellerTag;
    li.append(tag);
  }
  li.append(document.createTextNode(" " + (c.text || "")));
  $("chat").append(li);
  $("chat").scrollTop = $("chat").scrollHeight;
}

// ---- the clock -----------------------------------------------------------------
function flashClock(kind) {
  state.clockChanges++;
  const c = $("clock");
  c.classList.add(kind);
  $("clock-note").textContent = kind === "cut" ? t.cut : t.extended;
  setTimeout(() => { c.classList.remove(kind); $("clock-note").textContent = ""; }, 1500);
}

function tick() {
  const lot = state.lot;
  let text = "–";
  let bar = 0;
  let urgent = false;
  if (lot?.status === "paused") text = t.paused;
  else if (lot?.result || lot?.status === "sold" || lot?.status === "unsold") text = t.ended;
  else if (lot?.deadline) {
    const left = Math.max(0, Date.parse(lot.deadline) - (Date.now() + state.offset));
    text = left === 0 ? t.closing : `${Math.floor(left / 60000)}:${String(Math.floor(left / 1000) % 60).padStart(2, "0")}.${Math.floor(left / 100) % 10}`;
    state.lotSpan = Math.max(state.lotSpan, left, 1);
    bar = left / state.lotSpan;
    urgent = left < 10000;
  }
  $("clock").classList.toggle("urgent", urgent);
  $("room").classList.toggle("urgent", urgent && state.connected);
  $("countbar").style.transform = `scaleX(${bar})`;
  $("clock").textContent = text;
}
setInterval(tick, 100);

// ---- actions ---------------------------------------------------------------------
let socket;

async function placeBid(amount, kind = "bid.place") {
  const lot = state.lot;
  if (!lot?.next_min) { say(reason("lot_not_live"), "error"); return { error: "lot_not_live" }; }
  const value = amount ?? lot.next_min.amount;
  const bidID = crypto.randomUUID();
  state.myBids.add(bidID);
  say(t.sending);
  try {
    const ack = await socket.request(kind, { lot_id: lot.id, amount: value, currency: lot.next_min.currency, bid_id: bidID });
    if (ack.status === "rejected") say(rejection(ack.reason), "error");
    return ack;
  } catch (err) {
    say(reason(err.code, err.message), "error");
    return { error: err.code };
  }
}

$("bid").onclick = () => {
  if ($("bid").classList.contains("signin")) {
    location.assign(`/login?return_to=${encodeURIComponent(location.pathname + location.search)}`);
    return;
  }
  placeBid();
};
// typedAmount reads an amount field: a sentence saying what is wrong (not a
// number, below the minimum) before anything is sent, or the minor units.
function typedAmount(id) {
  const next = state.lot?.next_min;
  if (!next) return { error: reason("lot_not_live") };
  const text = $(id).value.trim();
  const v = toMinor(text, next.currency);
  if (v == null) return { error: /^[\d,.\s]+$/.test(text) ? t.badStep(money(next.amount, next.currency)) : t.notNumber };
  if (v < next.amount) return { error: t.tooLow(money(next.amount, next.currency)) };
  return { amount: v };
}
$("custom-bid").onclick = () => {
  const r = typedAmount("custom");
  if (r.error) return say(r.error, "error");
  placeBid(r.amount);
};
$("max-bid").onclick = () => {
  const r = typedAmount("max");
  if (r.error) return say(r.error, "error");
  placeBid(r.amount, "bid.max");
};
$("more").onclick = () => {
  const open = $("sheet").classList.toggle("hidden") === false;
  $("more").setAttribute("aria-expanded", String(open));
  if (open) $("custom").focus();
};
$("chat-form").onsubmit = async (e) => {
  e.preventDefault();
  const text = $("chat-text").value.trim();
  if (!text) return;
  try { await socket.request("chat.send", { text }); $("chat-text").value = ""; }
  catch (err) { say(reason(err.code, err.message), "error"); }
};
$("unmute").onclick = () => { $("video").muted = false; $("unmute").classList.add("hidden"); };

// The browser load test and scripts bid through the page's own code.
window.bidcast = { placeBid: (amount) => placeBid(amount), state, applyEvent };

// ---- start -----------------------------------------------------------------------
async function start() {
  if (!(await roomExists())) { showGone(); return; }
  try {
    await ensureSession();
  } catch (err) {
    say(String(err), "error");
    return;
  }
  // The player's first offer waits for the first join reply (at most 3 s),
  // which may name the node to watch on (media_url).
  let joinedOnce;
  const firstJoin = new Promise((resolve) => { joinedOnce = resolve; });
  setTimeout(joinedOnce, 3000);
  const player = () => window.bidcast.framesDecoded?.player;
  socket = new Socket(roomID, {
    viewerToken,
    // In a cluster the reply may name another node to watch on; after a
    // reconnect (a node died) it may name a new one.
    joined: (ack) => { state.mediaURL = ack?.media_url || ""; player()?.setTarget(state.mediaURL); joinedOnce(); },
    snapshot: applySnapshot,
    event: applyEvent,
    viewers: (n) => { $("viewers").textContent = t.viewers(n); },
    offset: (ms) => { state.offset = ms; },
    status: (up) => {
      // A dropped socket may mean its node died, and the video's with it:
      // the player listens harder for a while.
      if (!up) player()?.suspect();
      state.connected = up;
      $("conn").textContent = up ? "" : t.reconnecting;
      $("conn").classList.toggle("hidden", up);
      render();
    },
    error: (code, message) => {
      joinedOnce();
      if (code === "room_not_live") state.notLive = true;
      if (code === "room_not_live" && state.ended) return; // the notice over the player says the show has ended
      say(reason(code, message), "error");
    },
  });
  socket.connect();
  window.bidcast.socket = socket;
  lookForNotices = watchNotices(toast);
  setupFollow();
  // An ended room starts no player; a running one stops when the show ends.
  window.bidcast.framesDecoded = state.ended ? Object.assign(async () => 0, { player: null })
    : watch(roomID, $("video"), viewerToken, showGoing, { ready: firstJoin });
  watchSeller();
}

// setupFollow shows the Follow button beside the room's title to anyone
// but the seller: a follower is told when the seller's next show goes live.
async function setupFollow() {
  const seller = state.sellerID;
  if (!seller || state.user?.user_id === seller) return;
  const path = `/api/v1/sellers/${seller}/follow`;
  const b = $("follow");
  const show = (f) => {
    b.textContent = f.following ? `${t.following} ✓` : t.follow;
    b.setAttribute("aria-pressed", String(f.following));
    b.title = t.followers(f.followers);
    b.classList.remove("hidden");
  };
  try { show(await call("GET", path)); } catch { return; }
  b.onclick = async () => {
    b.disabled = true;
    try { show(await call(b.getAttribute("aria-pressed") === "true" ? "DELETE" : "PUT", path)); }
    catch (err) { say(reason(err.code, err.message), "error"); }
    finally { b.disabled = false; }
  };
}

// watchSeller shows "the seller is offline" over the player while the room
// is live but no video frame has arrived for a few seconds: the server does
// not announce the broadcaster's presence, so the page judges by the frames.
function watchSeller() {
  let last = -1;
  let still = 0;
  setInterval(async () => {
    const frames = await window.bidcast.framesDecoded().catch(() => 0);
    still = frames > last ? 0 : still + 1;
    last = frames;
    const off = $("offline");
    // Frames stopped: the seller may have ended the show (there is no
    // event for it), which the player's next retry learns, or, while its
    // session hangs on, a look every 15 s.
    const player = window.bidcast.framesDecoded.player;
    if (still >= 3 && still % 10 === 3 && player && !player.stopped && !(await showGoing())) player.stop();
    // A lost node's session being replaced says so, calmly, at once.
    const again = !state.ended && !!player?.reconnecting && !player.stopped;
    off.textContent = state.ended ? t.showEnded : again ? t.reconnecting
      : state.notLive || state.room?.status !== "live" ? t.notStarted : t.sellerOffline;
    const away = state.ended || again || still >= 3 && (!!state.room || !!state.notLive);
    off.classList.toggle("hidden", !away);
    $("room").classList.toggle("seller-away", away);
  }, 1500);
}
start();
