// The signed-in user's notifications (outbid, won, sold, unsold, a
// followed seller live) from
// GET /api/v1/me/notifications: their sentence for the inbox and the toast,
// and a watcher that reports the ones that arrive while a page is open.
import { t, money } from "/i18n.js";
import { call } from "/api.js";

/** noticeText is a notification as one sentence in the page's language. */
export function noticeText(n) {
  if (n.kind === "seller_live") return t.notice.seller_live(n.room_title || "");
  const say = t.notice[n.kind];
  const title = n.item_title || t.aLot;
  return say ? say(title, money(n.amount, n.currency)) : `${n.kind} · ${title}`;
}

/** listNotices resolves with a page of the caller's notifications, newest first. */
export function listNotices(limit) {
  return call("GET", `/api/v1/me/notifications?limit=${limit}`).then((r) => r.items || []);
}

/** markRead marks the caller's notifications read through the one with id. */
export function markRead(id) {
  return call("POST", "/api/v1/me/notifications/read", { up_to: id });
}

// How often the watcher looks on its own. The room's private events
// (outbid, the close) ask for a look sooner, so this only bounds how late a
// notification from elsewhere, or one written after those looks, appears.
const pollMS = 30000;
// After a private event: the notification is written by the bid pipeline's
// background worker (an Asynq task) a moment after the event, later on a
// busy server, so look a few times.
const afterEventMS = [1500, 4000, 10000, 20000];

/**
 * watchNotices calls onNew with each unread notification that arrives
 * after it starts (the ones already there are the inbox's business), and
 * returns a function that asks for a look soon (call it on a private event).
 */
export function watchNotices(onNew) {
  const seen = new Set();
  let primed = false;
  let busy = false;
  async function look() {
    if (busy) return;
    busy = true;
    try {
      const items = await listNotices(10);
      for (const n of items.slice().reverse()) {
        if (seen.has(n.id)) continue;
        seen.add(n.id);
        if (primed && !n.read_at) onNew(n);
      }
      primed = true;
    } catch { /* a missed look is retried by the next one */ } finally { busy = false; }
  }
  look();
  setInterval(look, pollMS);
  return () => { for (const ms of afterEventMS) setTimeout(look, ms); };
}
