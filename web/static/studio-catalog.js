// The studio's catalogue: items with their photos and videos (sent as
// resumable tus uploads, studio-upload.js), and the chosen room's lot queue
// with prices, reserve, increment table and clock policy.
import { t, money, toMinor } from "/i18n.js";
import { call, thumbnail } from "/api.js";
import { Uploads } from "/studio-upload.js";

const $ = (id) => document.getElementById(id);

/** Catalog owns the items and lot-queue sections of the studio. */
export class Catalog {
  constructor(ctx) {
    this.ctx = ctx;
    this.items = [];
    this.lots = [];
    this.editing = null; // the item being edited, or null for a new one
    this.uploads = new Uploads(ctx);
    for (const [k, label] of Object.entries(t.policies)) {
      const o = document.createElement("option");
      o.value = k;
      o.textContent = label;
      $("lot-policy").append(o);
    }
    $("lot-policy").onchange = () => this.policyFields();
    this.policyFields();
    $("item-form").onsubmit = (e) => { e.preventDefault(); this.saveItem(); };
    $("item-cancel").onclick = () => this.edit(null);
    $("lot-form").onsubmit = (e) => { e.preventDefault(); this.addLot(); };
    ctx.roomChanged.push(() => this.loadLots());
  }

  policyFields() {
    const p = $("lot-policy").value;
    $("lot-window-label").classList.toggle("hidden", p === "sudden-death");
    $("lot-window-label").firstElementChild.textContent = p === "dynamic" ? t.floor : t.window;
  }

  // ---- items ------------------------------------------------------------------
  async loadItems() {
    try {
      this.items = (await call("GET", "/api/v1/items?limit=100")).items || [];
    } catch (err) { this.ctx.fail(err); }
    this.renderItems();
    // Poll while a file is still being processed, so its status turns.
    clearTimeout(this.poll);
    if (this.items.some((it) => (it.media || []).some((m) => m.status === "processing"))) {
      this.poll = setTimeout(() => this.loadItems(), 3000);
    }
  }

  renderItems() {
    $("items").replaceChildren(...this.items.map((it) => {
      const li = document.createElement("li");
      const head = document.createElement("div");
      head.className = "row spread";
      const title = document.createElement("strong");
      title.textContent = it.title;
      const edit = button(t.edit, () => this.edit(it));
      head.append(title, edit);
      const media = document.createElement("div");
      media.className = "thumbs";
      for (const m of it.media || []) media.append(mediaTile(it, m));
      li.append(head, media);
      return li;
    }));
    const sel = $("lot-item");
    const keep = sel.value;
    sel.replaceChildren(...this.items.map((it) => {
      const o = document.createElement("option");
      o.value = it.id;
      o.textContent = it.title;
      return o;
    }));
    sel.value = this.selectItem || keep || sel.value;
    this.selectItem = null;
  }

  edit(item) {
    this.editing = item;
    $("item-form-title").textContent = item ? `${t.edit}: ${item.title}` : t.newItem;
    $("item-title").value = item?.title || "";
    $("item-description").value = item?.description || "";
    $("item-category").value = item?.category || "";
    $("item-cancel").classList.toggle("hidden", !item);
    if (item) $("item-form").scrollIntoView({ behavior: "smooth" });
  }

  async saveItem() {
    const body = { title: $("item-title").value.trim(), description: $("item-description").value, category: $("item-category").value.trim() };
    try {
      const it = this.editing
        ? await call("PATCH", `/api/v1/items/${this.editing.id}`, body, { "If-Match": `"v${this.editing.version}"` })
        : await call("POST", "/api/v1/items", body);
      const files = [...$("item-files").files];
      $("item-files").value = "";
      this.edit(null);
      this.selectItem = it.id; // the item just saved is the one to put up next
      if (files.length) {
        this.ctx.say(t.uploading);
        await this.loadItems();
        const sent = await this.uploads.send(it.id, files);
        if (sent.every((e) => e.state === "done")) this.ctx.say(t.done, "ok");
      } else this.ctx.say(t.done, "ok");
    } catch (err) { this.ctx.fail(err); }
    await this.loadItems();
  }

  // ---- the lot queue ------------------------------------------------------------
  async loadLots() {
    const room = this.ctx.room;
    if (!room) { this.lots = []; $("lots").replaceChildren(); return; }
    try {
      this.lots = (await call("GET", `/api/v1/rooms/${room.id}/lots`)).items || [];
    } catch (err) { this.ctx.fail(err); }
    this.renderLots();
  }

  /** nextPending is the first lot still waiting its turn. */
  nextPending() {
    return this.lots.find((l) => l.state === "pending");
  }

  renderLots() {
    $("lots").replaceChildren(...this.lots.map((l) => {
      const li = document.createElement("li");
      li.className = "row spread";
      li.dataset.lot = l.id;
      const text = document.createElement("span");
      const price = l.high_bid != null ? money(l.high_bid, l.currency) : money(l.opening_price, l.currency);
      text.textContent = `${l.position + 1}. ${l.item?.title || ""} · ${price} · ${t.status[l.state] || l.state}`;
      const actions = document.createElement("span");
      if (l.state === "pending") {
        actions.append(button(t.start, () => this.ctx.command?.("lot.start", { lot_id: l.id })));
        actions.append(button(t.remove, () => this.removeLot(l)));
      }
      if (l.state === "unsold" || l.state === "cancelled") {
        actions.append(button(t.relist, () => this.ctx.command?.("lot.relist", { lot_id: l.id })));
      }
      li.append(text, actions);
      return li;
    }));
  }

  async addLot() {
    const room = this.ctx.room;
    if (!room) return this.ctx.say(t.chooseRoom, "error");
    if (!$("lot-item").value) return this.ctx.say(t.noItems, "error");
    const currency = $("lot-currency").value.trim().toUpperCase();
    const opening = toMinor($("lot-opening").value, currency);
    const reserveText = $("lot-reserve").value.trim();
    const reserve = reserveText ? toMinor(reserveText, currency) : 0;
    const seconds = parseInt($("lot-duration").value, 10);
    if (opening == null || reserve == null || !(seconds >= 5)) return this.ctx.say(t.badAmount, "error");
    const increments = parseIncrements($("lot-increments").value, currency);
    if (!increments) return this.ctx.say(t.badIncrements, "error");
    const body = {
      item_id: $("lot-item").value, currency, opening_price: opening, increment_table: increments,
      clock_policy: clockPolicy($("lot-policy").value, parseInt($("lot-window").value, 10) || 10, seconds),
      duration_ms: seconds * 1000,
    };
    if (reserve) body.reserve_price = reserve;
    try {
      await call("POST", `/api/v1/rooms/${room.id}/lots`, body);
      this.ctx.say(t.done, "ok");
    } catch (err) { this.ctx.fail(err); }
    await this.loadLots();
  }

  async removeLot(l) {
    try {
      await call("DELETE", `/api/v1/lots/${l.id}`);
    } catch (err) { this.ctx.fail(err); }
    await this.loadLots();
  }
}

/** parseIncrements reads "0:1000, 100000:5000" (major units, no thousands separators) into bands of integer minor units. */
export function parseIncrements(text, currency) {
  const bands = [];
  for (const part of text.split(/[\s,;]+/)) {
    if (!part.trim()) continue;
    const [from, step] = part.split(":");
    const f = toMinor(from ?? "", currency);
    const s = toMinor(step ?? "", currency);
    if (f == null || s == null || s <= 0) return null;
    bands.push({ from: f, step: s });
  }
  if (!bands.length || bands[0].from !== 0) return null;
  return bands;
}

/** clockPolicy builds the API's clock policy document. */
function clockPolicy(kind, windowSeconds, durationSeconds) {
  const w = Math.min(windowSeconds, durationSeconds) * 1000;
  if (kind === "soft-close") return { kind, window_ms: Math.max(1000, w) };
  if (kind === "dynamic") {
    const floor = Math.max(1000, w);
    const cut = (ms) => Math.min(ms, durationSeconds * 1000);
    return { kind, floor_ms: floor, tiers: [
      { raise_bp: 500, cut_ms: cut(2000) }, { raise_bp: 1000, cut_ms: cut(5000) }, { raise_bp: 2500, cut_ms: cut(10000) },
    ] };
  }
  return { kind: "sudden-death" };
}

function button(text, onclick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "small";
  b.textContent = text;
  b.onclick = onclick;
  return b;
}

/** mediaTile shows one uploaded file: its poster or photo when ready, else its status. */
function mediaTile(item, m) {
  const tile = document.createElement("span");
  tile.className = `tile ${m.status}`;
  tile.dataset.media = m.id;
  if (m.status === "ready" && thumbnail(m)) {
    const img = document.createElement("img");
    img.alt = "";
    img.loading = "lazy";
    img.src = thumbnail(m);
    tile.append(img);
  }
  const s = document.createElement("small");
  s.textContent = `${m.kind === "video" ? "▶ " : ""}${t.status[m.status] || m.status}`;
  tile.append(s);
  return tile;
}
