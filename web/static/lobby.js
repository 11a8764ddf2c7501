// The lobby: live and upcoming shows with a thumbnail, the current lot and
// its price (from the JSON API) and the viewer count (from each room's
// snapshot over one short-lived WebSocket), each linking to its room page.
import { t, money } from "/i18n.js";
import { call, me, navLinks, thumbnail } from "/api.js";

const $ = (id) => document.getElementById(id);
$("live-title").textContent = t.lobbyTitle;
$("upcoming-title").textContent = t.upcoming;

const viewers = new Map(); // room id → count, from the last sweep

async function rooms(status) {
  try {
    return (await call("GET", `/api/v1/rooms?status=${status}&limit=24`)).items || [];
  } catch {
    return [];
  }
}

/** currentLot is the room's running (or next) lot, or null. */
async function currentLot(roomID) {
  try {
    const lots = (await call("GET", `/api/v1/rooms/${roomID}/lots`)).items || [];
    return lots.find((l) => ["live", "paused", "closing"].includes(l.state)) || lots.find((l) => l.state === "pending") || null;
  } catch {
    return null;
  }
}

function card(room, live, lot) {
  const a = document.createElement("a");
  a.className = "card";
  a.href = `/rooms/${room.id}`;
  a.dataset.room = room.id;
  const thumb = document.createElement("div");
  thumb.className = "thumb";
  const photo = (lot?.item?.media || []).find((m) => m.status === "ready" && thumbnail(m));
  // A still of a live room's stream (remade every 30 s; the minute in the
  // URL lets the browser cache it that long), else the lot's photo, else
  // the room's initial. A live room with no still has no one on camera.
  const still = () => {
    if (photo) {
      const img = document.createElement("img");
      img.alt = "";
      img.src = thumbnail(photo);
      thumb.prepend(img);
    } else {
      thumb.prepend((room.title || "?").trim().charAt(0).toUpperCase());
    }
  };
  if (live) {
    const img = document.createElement("img");
    img.alt = "";
    img.className = "live-still";
    img.src = `/api/v1/rooms/${room.id}/thumbnail?m=${Math.floor(Date.now() / 60000)}`;
    img.onerror = () => {
      img.remove();
      still();
      a.classList.add("waiting");
      const w = document.createElement("span");
      w.className = "waiting-note";
      w.textContent = t.waitingSeller;
      thumb.append(w);
    };
    thumb.append(img);
  } else {
    still();
  }
  if (live) {
    const dot = document.createElement("span");
    dot.className = "live-dot";
    dot.textContent = t.live;
    const n = document.createElement("span");
    n.className = "viewers";
    n.textContent = viewers.has(room.id) ? t.viewers(viewers.get(room.id)) : "";
    thumb.append(dot, n);
  }
  const h = document.createElement("h3");
  h.textContent = room.title;
  const p = document.createElement("div");
  p.className = "muted";
  if (live && lot) {
    const price = lot.high_bid != null ? lot.high_bid : lot.opening_price;
    p.textContent = `${lot.item?.title || ""} · ${money(price, lot.currency)}`;
  } else if (!live && room.scheduled_at) {
    p.textContent = new Date(room.scheduled_at).toLocaleString();
  }
  a.append(thumb, h, p);
  return a;
}

/** sweep joins each live room once on one WebSocket to read its viewer count from the snapshot. */
function sweep(ids) {
  if (!ids.length) return;
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  let i = 0;
  const next = () => {
    if (i >= ids.length) { ws.close(1000); return; }
    ws.send(JSON.stringify({ v: 1, type: "join", id: `j${i}`, data: { room_id: ids[i++] } }));
  };
  ws.onopen = next;
  ws.onmessage = (m) => {
    let msg;
    try { msg = JSON.parse(m.data); } catch { return; }
    if (msg.type === "room.snapshot" && msg.data?.room?.id) {
      viewers.set(msg.data.room.id, msg.data.viewers || 0);
      const el = document.querySelector(`[data-room="${CSS.escape(msg.data.room.id)}"] .viewers`);
      if (el) el.textContent = t.viewers(msg.data.viewers || 0);
    }
    if ((msg.type === "ack" || msg.type === "error") && msg.id?.startsWith("j")) next();
  };
  setTimeout(() => ws.close(1000), 10000);
}

async function load() {
  const [live, upcoming] = await Promise.all([rooms("live"), rooms("upcoming")]);
  const lots = await Promise.all(live.map((r) => currentLot(r.id)));
  $("live").replaceChildren(...live.map((r, i) => card(r, true, lots[i])));
  $("nothing").textContent = t.nothingLive;
  $("nothing").classList.toggle("hidden", live.length > 0);
  $("upcoming").replaceChildren(...upcoming.map((r) => card(r, false, null)));
  sweep(live.slice(0, 12).map((r) => r.id));
}

me().then((user) => navLinks(user, t));
load();
setInterval(load, 15000);
