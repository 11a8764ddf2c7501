// The lobby: live and upcoming shows, each linking to its room page.
import { t } from "/i18n.js";

const $ = (id) => document.getElementById(id);
$("live-title").textContent = t.lobbyTitle;
$("upcoming-title").textContent = t.upcoming;

async function rooms(status) {
  const r = await fetch(`/api/v1/rooms?status=${status}&limit=24`, { credentials: "same-origin" });
  if (!r.ok) return [];
  return (await r.json()).items || [];
}

function card(room, live) {
  const a = document.createElement("a");
  a.className = "card";
  a.href = `/rooms/${room.id}`;
  const h = document.createElement("h3");
  h.textContent = room.title;
  const p = document.createElement("div");
  p.className = "muted";
  p.textContent = live ? `● ${t.live}` : (room.scheduled_at ? new Date(room.scheduled_at).toLocaleString() : "");
  a.append(h, p);
  if (room.description) {
    const d = document.createElement("div");
    d.textContent = room.description;
    a.append(d);
  }
  return a;
}

async function load() {
  const [live, upcoming] = await Promise.all([rooms("live"), rooms("upcoming")]);
  $("live").replaceChildren(...live.map((r) => card(r, true)));
  $("nothing").textContent = t.nothingLive;
  $("nothing").classList.toggle("hidden", live.length > 0);
  $("upcoming").replaceChildren(...upcoming.map((r) => card(r, false)));
}
load();
setInterval(load, 15000);
