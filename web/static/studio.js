// The seller studio: pick or create a show, manage items and the lot queue,
// and broadcast and run lots from a phone (studio-live.js).
import { t, reason } from "/i18n.js";
import { call, me, navLinks } from "/api.js";
import { Catalog } from "/studio-catalog.js";
import { Live } from "/studio-live.js";
import { Summary } from "/studio-summary.js";
import { Guide } from "/studio-guide.js";

const $ = (id) => document.getElementById(id);

for (const el of document.querySelectorAll("[data-t]")) el.textContent = t[el.dataset.t] ?? el.textContent;
for (const el of document.querySelectorAll("[data-ph]")) el.placeholder = t[el.dataset.ph] ?? "";
$("slow").options[0].textContent = t.off;
$("message").onclick = () => { $("message").textContent = ""; }; // a tap dismisses the confirmation

/** ctx is what the studio's parts share. */
const ctx = {
  user: null,
  room: null, // the chosen room, as the API returns it
  say(text, kind) {
    const m = $("message");
    m.textContent = text;
    m.className = "message toast " + (kind || "");
  },
  fail(err) {
    ctx.say(reason(err?.code, err?.message || String(err)), "error");
  },
  roomChanged: [], // callbacks run when the chosen room changes or is reloaded
};

let rooms = [];

async function loadRooms(want) {
  const lists = await Promise.all(["live", "upcoming", "ended"].map((s) =>
    call("GET", `/api/v1/rooms?seller=me&status=${s}&limit=50`).then((r) => r.items || []).catch(() => [])));
  rooms = lists.flat();
  const sel = $("room-select");
  sel.classList.toggle("hidden", rooms.length === 0); // a first run has nothing to choose
  sel.replaceChildren(...rooms.map((r) => {
    const o = document.createElement("option");
    o.value = r.id;
    o.textContent = `${r.title} (${t.status[r.status] || r.status})`;
    return o;
  }));
  const id = want && rooms.some((r) => r.id === want) ? want : (ctx.room?.id || rooms[0]?.id);
  if (id) sel.value = id;
  choose(sel.value);
}

function choose(id) {
  ctx.room = rooms.find((r) => r.id === id) || null;
  for (const s of ["live", "queue", "moderation"]) $(s).classList.toggle("hidden", !ctx.room);
  // During a live show the broadcast and the chat come first, one thumb away.
  document.querySelector("main.studio").classList.toggle("showing", ctx.room?.status === "live");
  if (ctx.room) {
    const url = new URL(location.href);
    url.searchParams.set("room", ctx.room.id);
    history.replaceState(null, "", url);
    $("whip-url").textContent = `${location.origin}/whip/${ctx.room.id}`;
    $("token").textContent = "";
  }
  for (const f of ctx.roomChanged) f(ctx.room);
}

/** reloadRoom re-reads the chosen room (after going live or ending). */
ctx.reloadRoom = async () => {
  if (!ctx.room) return;
  const fresh = await call("GET", `/api/v1/rooms/${ctx.room.id}`);
  rooms = rooms.map((r) => (r.id === fresh.id ? fresh : r));
  await loadRooms(fresh.id);
};

$("room-select").onchange = (e) => choose(e.target.value);
$("room-form").onsubmit = async (e) => {
  e.preventDefault();
  try {
    const room = await call("POST", "/api/v1/rooms", { title: $("room-title").value.trim(),
      guests_may_bid: $("room-guests").checked });
    $("room-title").value = "";
    $("room-guests").checked = false;
    await loadRooms(room.id);
    if (room.publish_token) $("token").textContent = room.publish_token;
    ctx.say(t.done, "ok");
  } catch (err) { ctx.fail(err); }
};
$("token-new").onclick = async () => {
  if (!ctx.room) return;
  try {
    const r = await call("POST", `/api/v1/rooms/${ctx.room.id}/publish-token`);
    $("token").textContent = r.publish_token;
  } catch (err) { ctx.fail(err); }
};

function gate(text, href) {
  const g = $("gate");
  g.replaceChildren(document.createTextNode(text + " "));
  const a = document.createElement("a");
  a.href = href;
  a.textContent = href.startsWith("/login") ? t.signIn : t.account;
  g.append(a);
  g.classList.remove("hidden");
}

async function start() {
  ctx.user = await me();
  navLinks(ctx.user, t);
  if (!ctx.user || ctx.user.guest) return gate(t.needLogin, "/login?return_to=/studio");
  if (ctx.user.role !== "seller" && ctx.user.role !== "admin") return gate(t.needSeller, "/account");
  $("shows").classList.remove("hidden");
  $("catalog").classList.remove("hidden");
  const catalog = new Catalog(ctx);
  const live = new Live(ctx, catalog);
  const summary = new Summary(ctx);
  const guide = new Guide(ctx, catalog, () => rooms);
  // The guide follows the catalog: each time it draws its items or lots.
  for (const m of ["renderItems", "renderLots"]) {
    const draw = catalog[m].bind(catalog);
    catalog[m] = () => { draw(); guide.render(); };
  }
  // Tests and scripts drive the studio through its own code.
  window.bidcastStudio = { ctx, catalog, live, summary, guide };
  await catalog.loadItems();
  await loadRooms(new URLSearchParams(location.search).get("room"));
}
start().catch((err) => ctx.fail(err));
