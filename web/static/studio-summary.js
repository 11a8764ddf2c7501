// The show summary in the studio: every closed lot of the chosen show with
// its outcome, winner and price, the totals, and a CSV file of it made in
// the browser. It reads GET /api/v1/rooms/{id}/results, which names the
// winner to the room's seller by display name as well as by room alias.
import { t, money, plainAmount } from "/i18n.js";
import { call } from "/api.js";

const $ = (id) => document.getElementById(id);

/** csvField quotes a value for CSV and defuses spreadsheet formulas (a bidder picks their own name). */
export function csvField(v) {
  let s = v == null ? "" : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Summary shows the chosen show's results: on demand, when a lot closes while it is open, and by itself once the show has ended. */
export class Summary {
  constructor(ctx) {
    this.ctx = ctx;
    this.rows = [];
    this.roomID = "";
    $("summary-show").onclick = () => this.load().catch((err) => ctx.fail(err));
    $("summary-csv").onclick = () => this.download();
    ctx.roomChanged.push((room) => this.roomChanged(room));
    ctx.lotClosed = () => { if (!$("summary-body").classList.contains("hidden")) this.load().catch(() => {}); };
  }

  roomChanged(room) {
    $("summary").classList.toggle("hidden", !room);
    if (room?.id !== this.roomID) {
      this.roomID = room?.id || "";
      this.rows = [];
      $("summary-body").classList.add("hidden");
    }
    if (room?.status === "ended") this.load().catch((err) => this.ctx.fail(err));
  }

  /** load reads the results and shows them. */
  async load() {
    const room = this.ctx.room;
    if (!room) return;
    const r = await call("GET", `/api/v1/rooms/${room.id}/results`);
    if (this.ctx.room?.id !== room.id) return; // the seller chose another show meanwhile
    this.rows = (r.items || []).slice().sort((a, b) => Date.parse(a.closed_at) - Date.parse(b.closed_at));
    this.render();
  }

  render() {
    const sold = this.rows.filter((r) => r.outcome === "sold");
    const totals = {};
    for (const r of sold) totals[r.currency] = (totals[r.currency] || 0) + (r.price || 0);
    const sums = Object.entries(totals).map(([cur, amount]) => money(amount, cur)).join(" + ") || money(0, "KRW");
    $("summary-totals").textContent = t.summaryTotals(this.rows.length, sold.length, this.rows.length - sold.length, sums);
    $("summary-rows").replaceChildren(...(this.rows.length ? this.rows.map((r) => {
      const tr = document.createElement("tr");
      tr.dataset.outcome = r.outcome;
      const cells = [r.item_title, t.status[r.outcome] || r.outcome,
        r.outcome === "sold" ? money(r.price, r.currency) : "–", winnerOf(r)];
      tr.append(...cells.map((c) => { const td = document.createElement("td"); td.textContent = c; return td; }));
      return tr;
    }) : [emptyRow()]));
    $("summary-csv").disabled = !this.rows.length;
    $("summary-body").classList.remove("hidden");
  }

  /** csv is the summary as CSV text, a header line first. */
  csv() {
    const head = ["lot_id", "item", "outcome", "price", "currency", "winner_alias", "winner_name", "closed_at"];
    const lines = this.rows.map((r) => [r.lot_id, r.item_title, r.outcome, r.outcome === "sold" ? plainAmount(r.price, r.currency) : "",
      r.currency, r.winner || "", r.winner_name || "", r.closed_at].map(csvField).join(","));
    return [head.join(","), ...lines].join("\r\n") + "\r\n";
  }

  /** download saves the CSV, made here in the browser: no server round trip. */
  download() {
    const url = URL.createObjectURL(new Blob([this.csv()], { type: "text/csv;charset=utf-8" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `${(this.ctx.room?.title || "show").replace(/[^\p{L}\p{N}]+/gu, "-")}-results.csv`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }
}

function winnerOf(r) {
  if (r.outcome !== "sold") return "";
  return r.winner_name && r.winner ? `${r.winner_name} (${r.winner})` : r.winner_name || r.winner || "?";
}

function emptyRow() {
  const tr = document.createElement("tr");
  const td = document.createElement("td");
  td.colSpan = 4;
  td.textContent = t.nothingYet;
  tr.append(td);
  return tr;
}
