// The studio's guided first run: for a seller none of whose shows has gone
// live yet, four steps from an empty account to a running lot (name a show,
// add an item, queue it as a lot, go live), each marked done as it is, with
// a "Show me" that brings its form into view.
import { t } from "/i18n.js";

const $ = (id) => document.getElementById(id);
const hiddenKey = "bidcast.guide.hidden";

export class Guide {
  /**
   * ctx is the studio's shared context; catalog its items and lots;
   * rooms a function that returns the seller's shows as loaded.
   */
  constructor(ctx, catalog, rooms) {
    this.ctx = ctx;
    this.catalog = catalog;
    this.rooms = rooms;
    $("guide-title").textContent = t.guideTitle;
    $("guide-hide").textContent = t.hideGuide;
    $("guide-hide").onclick = () => {
      try { localStorage.setItem(hiddenKey, "1"); } catch { /* private mode: hidden until reload */ }
      this.dismissed = true;
      this.render();
    };
    try { this.dismissed = localStorage.getItem(hiddenKey) === "1"; } catch { this.dismissed = false; }
    ctx.roomChanged.push(() => this.render());
  }

  /** steps are the four steps, with whether each is done and where its form is. */
  steps() {
    const room = this.ctx.room;
    return [
      { text: t.guideShow, done: this.rooms().length > 0, focus: "room-title" },
      { text: t.guideItem, done: this.catalog.items.length > 0, focus: "item-title" },
      { text: t.guideLot, done: !!room && this.catalog.lots.length > 0, focus: "lot-item" },
      { text: t.guideLive, done: room?.status === "live", focus: "go-live" },
    ];
  }

  render() {
    const everLive = this.rooms().some((r) => r.status === "live" || r.status === "ended");
    const show = !this.dismissed && !everLive;
    $("guide").classList.toggle("hidden", !show);
    if (!show) return;
    const steps = this.steps();
    const current = steps.findIndex((s) => !s.done);
    $("guide-steps").replaceChildren(...steps.map((s, i) => {
      const li = document.createElement("li");
      li.className = s.done ? "done" : i === current ? "current" : "";
      if (i === current) li.setAttribute("aria-current", "step");
      const text = document.createElement("span");
      text.textContent = s.done ? `${s.text} ✓` : s.text;
      li.append(text);
      if (i === current) {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "small primary";
        b.textContent = t.showMe;
        b.onclick = () => {
          const el = $(s.focus);
          el?.scrollIntoView({ behavior: "smooth", block: "center" });
          el?.focus({ preventScroll: true });
        };
        li.append(b);
      }
      return li;
    }));
  }
}
