// Socket is the room's WebSocket: requests answered by ack or error, room
// events in seq order, clock offset probes, and reconnects that resume from
// the last event seen (docs/protocol.md).
// REPLIES are the message types that answer a request (by its id).
const REPLIES = new Set(["ack", "error", "time.sync", "media.answer"]);

export class Socket {
  constructor(roomID, handlers) {
    this.roomID = roomID;
    this.h = handlers;
    this.n = 0;
    this.pending = new Map(); // request id → {resolve, reject}
    this.lastSeq = 0;
    this.backoff = 500;
    this.best = Infinity; // smallest time.sync round trip so far
  }

  connect() {
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => {
      this.backoff = 500;
      this.h.status(true);
      this.join(ws);
      this.syncClock();
    };
    ws.onmessage = (m) => this.receive(m.data);
    ws.onclose = () => {
      if (this.closed) return;
      this.h.status(false);
      for (const p of this.pending.values()) p.reject({ code: "unavailable", message: "connection lost" });
      this.pending.clear();
      // Jitter spreads a crowd whose node died over the other nodes.
      setTimeout(() => this.connect(), this.backoff * (0.5 + Math.random()));
      this.backoff = Math.min(this.backoff * 2, 8000);
    };
  }

  /** join joins the room, resuming after the last event seen; a room not live yet is tried again every 5 s. */
  join(ws) {
    const join = { room_id: this.roomID };
    if (this.h.viewerToken) join.viewer_token = this.h.viewerToken;
    if (this.lastSeq) join.resume_from = this.lastSeq;
    this.request("join", join)
      .then((ack) => {
        if (join.resume_from) this.rejoins = (this.rejoins || 0) + 1;
        if (ack?.resumed) this.resumed = (this.resumed || 0) + 1;
        this.h.joined?.(ack);
      })
      .catch((err) => {
        this.h.error(err.code, err.message);
        if (err.code === "room_not_live" && this.ws === ws && !this.closed) setTimeout(() => { if (this.ws === ws) this.join(ws); }, 5000);
      });
  }

  /** close ends the connection for good (no reconnect). */
  close() {
    this.closed = true;
    clearTimeout(this.syncTimer);
    this.ws?.close(1000);
  }

  /** request sends a message and resolves with the ack's data, or rejects with {code, message}. */
  request(type, data) {
    const id = `c${++this.n}`;
    return new Promise((resolve, reject) => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
        reject({ code: "unavailable", message: "not connected" });
        return;
      }
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ v: 1, type, id, data }));
    });
  }

  receive(raw) {
    let m;
    try { m = JSON.parse(raw); } catch { return; }
    this.handle(m);
  }

  /** handle applies one message; a room.events list (a burst merged by the server) is its events, in order. */
  handle(m) {
    if (m.type === "room.events") {
      for (const e of m.data?.events || []) this.handle(e);
      return;
    }
    const data = m.data || {};
    if (m.id && this.pending.has(m.id) && REPLIES.has(m.type)) {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.type === "error") p.reject(data); else p.resolve(data);
      return;
    }
    switch (m.type) {
      case "room.snapshot":
        this.lastSeq = m.seq || 0;
        this.h.snapshot(data);
        return;
      case "viewers":
        this.h.viewers(data.count);
        return;
      case "error":
        this.h.error(data.code, data.message);
        return;
    }
    if (m.seq) {
      if (m.seq <= this.lastSeq) return; // already applied (a replay overlap)
      this.lastSeq = m.seq;
    }
    this.h.event(m.type, data);
  }

  /** syncClock takes a few offset probes and keeps the one with the smallest round trip; again every minute. */
  async syncClock() {
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      try {
        const r = await this.request("time.sync", { client_time: t0 });
        const t3 = Date.now();
        if (t3 - t0 < this.best) {
          this.best = t3 - t0;
          this.h.offset(r.server_time - (t0 + t3) / 2);
        }
      } catch { return; }
    }
    clearTimeout(this.syncTimer);
    this.syncTimer = setTimeout(() => { this.best = Infinity; this.syncClock(); }, 60000);
  }
}
