// The account page: who you are, your notifications (the inbox), lots you
// won, your bids, sign-out and the seller application.
import { t, reason, money } from "/i18n.js";
import { call, logout, me, navLinks, thumbnail } from "/api.js";
import { listNotices, markRead, noticeText } from "/notices.js";

const $ = (id) => document.getElementById(id);
$("inbox-title").textContent = t.inbox;
$("wins-title").textContent = t.myWins;
$("following-title").textContent = t.myFollowing;
$("bids-title").textContent = t.myBids;
$("logout").textContent = t.signOut;
$("apply").textContent = t.becomeSeller;

function say(text, kind) {
  $("message").textContent = text;
  $("message").className = "message " + (kind || "");
}

function row(parts, href) {
  const li = document.createElement("li");
  const el = href ? document.createElement("a") : document.createElement("span");
  if (href) el.href = href;
  el.textContent = parts.filter(Boolean).join(" · ");
  li.append(el);
  return li;
}

function fill(list, rows) {
  $(list).replaceChildren(...(rows.length ? rows : [row([t.nothingYet])]));
}

async function start() {
  const user = await me();
  navLinks(user, t);
  if (!user) {
    location.replace("/login?return_to=/account");
    return;
  }
  $("who").textContent = user.display_name;
  $("role").textContent = t.role(user.guest ? "guest" : user.role);
  $("apply").classList.toggle("hidden", user.guest || user.role !== "bidder");
  const [notes, wins, bids, following] = await Promise.all([
    listNotices(50).catch(() => []),
    call("GET", "/api/v1/me/wins?limit=50").catch((err) => { say(reason(err.code, err.message), "error"); return { items: [] }; }),
    call("GET", "/api/v1/me/bids?limit=50").catch(() => ({ items: [] })),
    call("GET", "/api/v1/me/following?limit=50").catch(() => ({ items: [] })),
  ]);
  showInbox(notes);
  showFollowing(following.items || []);
  fill("wins", (wins.items || []).map((w) => {
    const li = row([w.item_title, money(w.price, w.currency),
      w.closed_at && new Date(w.closed_at).toLocaleString()], `/rooms/${w.room_id}`);
    li.dataset.lot = w.lot_id;
    return li;
  }));
  showWinPhotos(wins.items || []);
  fill("bids", (bids.items || []).map((b) => row([money(b.amount, b.currency), t.outcome[b.outcome] || b.outcome,
    b.outcome === "rejected" ? reason(b.reason) : "", b.kind === "max" ? t.setMax : "",
    b.received_at && new Date(b.received_at).toLocaleString()], `/rooms/${b.room_id}`)));
}

// showInbox lists the notifications, the unread ones marked, then marks
// them read on the server: they have been shown.
function showInbox(notes) {
  const unread = notes.filter((n) => !n.read_at).length;
  $("inbox-title").textContent = unread ? `${t.inbox} · ${t.unread(unread)}` : t.inbox;
  fill("inbox", notes.map((n) => {
    const li = row([noticeText(n), n.created_at && new Date(n.created_at).toLocaleString()], `/rooms/${n.room_id}`);
    li.dataset.kind = n.kind;
    if (!n.read_at) li.classList.add("unread");
    return li;
  }));
  if (unread) markRead(notes[0].id).catch(() => { /* shown as unread again next time */ });
}

// showWinPhotos puts the item's first photo (or a video's poster) before
// each won lot, read from the lot (the results list carries no media).
async function showWinPhotos(wins) {
  await Promise.all(wins.slice(0, 20).map(async (w) => {
    try {
      const lot = await call("GET", `/api/v1/lots/${w.lot_id}`);
      const m = (lot.item?.media || []).find((x) => x.status === "ready" && thumbnail(x));
      const li = document.querySelector(`#wins li[data-lot="${CSS.escape(w.lot_id)}"]`);
      if (!m || !li) return;
      const img = document.createElement("img");
      img.className = "win-photo";
      img.alt = w.item_title || "";
      img.src = thumbnail(m);
      li.prepend(img);
    } catch { /* the row stays without a photo */ }
  }));
}

// showFollowing lists the sellers the user follows, each with a link to
// their live room (when one is live) and an Unfollow button.
function showFollowing(sellers) {
  fill("following", sellers.map((f) => {
    const li = row([f.display_name, f.live_room_id && t.liveNow], f.live_room_id && `/rooms/${f.live_room_id}`);
    const b = document.createElement("button");
    b.type = "button";
    b.className = "small";
    b.textContent = t.unfollow;
    b.onclick = async () => {
      try {
        await call("DELETE", `/api/v1/sellers/${f.seller_id}/follow`);
        li.remove();
      } catch (err) { say(reason(err.code, err.message), "error"); }
    };
    li.append(" ", b);
    return li;
  }));
}

$("logout").onclick = async () => {
  try { await logout(); } catch { /* signed out either way */ }
  location.assign("/");
};
$("apply").onclick = async () => {
  try {
    await call("POST", "/auth/seller/apply");
    say(t.applied, "ok");
    $("apply").classList.add("hidden");
  } catch (err) { say(reason(err.code, err.message), "error"); }
};
start();
