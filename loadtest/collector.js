// Bidcast load-test collector, injected into every tab before the page's
// own scripts run (Page.addScriptToEvaluateOnNewDocument). It needs nothing
// from the page: it records every RTCPeerConnection and every WebSocket to
// /ws the page opens, so it works on the real room page and on any page
// that plays a stream. Optional page contract, used when present:
//   window.bidcast.placeBid()  places a bid through the page's own UI code
//                              (its WebSocket traffic is timed below);
//   <video data-bidcast-video> the element whose first frame is timed
//                              (else the first <video> on the page).
(() => {
  if (window.__bidcastLT) return;
  const lt = window.__bidcastLT = {
    pcs: [], sockets: [], pending: new Map(), byBid: new Map(), bidRTT: [], decisions: [],
    prev: new Map(), lot: null, firstFrameMs: 0, n: 0, errors: [],
  };
  const NativePC = window.RTCPeerConnection;
  if (NativePC) {
    const Wrapped = function (...args) {
      const pc = new NativePC(...args);
      lt.pcs.push(pc);
      return pc;
    };
    Wrapped.prototype = NativePC.prototype;
    Object.setPrototypeOf(Wrapped, NativePC);
    window.RTCPeerConnection = Wrapped;
  }
  const readLot = (m) => {
    const d = m.data || {};
    if (m.type === 'room.snapshot') {
      const l = d.state && d.state.lot;
      if (l) lt.lot = { id: l.id, live: l.status === 'live', next: (l.next_min || {}).amount || 0, cur: (l.next_min || {}).currency || '' };
      return;
    }
    if (!d.lot_id) return;
    if (m.type === 'lot.started' || !lt.lot || lt.lot.id !== d.lot_id) lt.lot = { id: d.lot_id, live: true, next: 0, cur: '' };
    if (d.status) lt.lot.live = d.status === 'live';
    if (d.next_min && d.next_min.amount > lt.lot.next) { lt.lot.next = d.next_min.amount; lt.lot.cur = d.next_min.currency; }
  };
  const NativeWS = window.WebSocket;
  const WrappedWS = function (url, protocols) {
    const ws = protocols === undefined ? new NativeWS(url) : new NativeWS(url, protocols);
    if (!/\/ws(\?|$)/.test(String(url))) return ws;
    lt.sockets.push(ws);
    const send = ws.send.bind(ws);
    ws.send = (data) => {
      try {
        const m = JSON.parse(data);
        if (m && m.id && (m.type === 'bid.place' || m.type === 'bid.max')) {
          const p = { t: performance.now(), bid: m.data && m.data.bid_id };
          lt.pending.set(m.id, p);
          if (p.bid) lt.byBid.set(p.bid, p);
        }
      } catch (e) { /* not JSON: not ours to time */ }
      return send(data);
    };
    ws.addEventListener('close', (e) => {
      if (e.code !== 1000 && e.code !== 1001) lt.errors.push('websocket closed: ' + e.code + ' ' + e.reason);
    });
    ws.addEventListener('message', (ev) => {
      let frame;
      try { frame = JSON.parse(ev.data); } catch (e) { return; }
      const now = performance.now();
      // A room.events list is a burst of room events merged into one message.
      const msgs = frame && frame.type === 'room.events' ? ((frame.data || {}).events || []) : [frame];
      for (const m of msgs) seen(m, now);
    });
    const seen = (m, now) => {
      if (m.id && lt.pending.has(m.id)) {
        const p = lt.pending.get(m.id);
        lt.pending.delete(m.id);
        lt.bidRTT.push({ ms: now - p.t, ok: m.type === 'ack' });
      }
      if (m.type === 'bid.accepted' || m.type === 'bid.rejected') {
        const id = m.data && m.data.bid && m.data.bid.bid_id;
        const p = id && lt.byBid.get(id);
        if (p) { lt.byBid.delete(id); lt.decisions.push({ ms: now - p.t, outcome: m.type.slice(4) }); }
      }
      readLot(m);
    };
    return ws;
  };
  WrappedWS.prototype = NativeWS.prototype;
  for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) WrappedWS[k] = NativeWS[k];
  window.WebSocket = WrappedWS;

  // First frame: watch for the video element and time its first frame from
  // navigation start.
  const watchVideo = setInterval(() => {
    const v = document.querySelector('video[data-bidcast-video]') || document.querySelector('video');
    if (!v || v.__ltWatched) return;
    v.__ltWatched = true;
    const mark = () => { if (!lt.firstFrameMs) lt.firstFrameMs = performance.now(); clearInterval(watchVideo); };
    if (v.requestVideoFrameCallback) v.requestVideoFrameCallback(mark);
    else v.addEventListener('playing', mark, { once: true });
  }, 100);

  // bid places one bid at the lot's next minimum: through the page's own
  // hook when it has one, else straight on the page's socket.
  lt.bid = () => {
    if (window.bidcast && typeof window.bidcast.placeBid === 'function') {
      try { window.bidcast.placeBid(); return 'hook'; } catch (e) { lt.errors.push(String(e)); return 'error'; }
    }
    const ws = lt.sockets.find((s) => s.readyState === 1);
    if (!ws || !lt.lot || !lt.lot.live || !lt.lot.next) return 'no-lot';
    const id = 'lt-page-' + Math.random().toString(36).slice(2, 10) + '-' + (++lt.n);
    ws.send(JSON.stringify({ v: 1, type: 'bid.place', id, data: { lot_id: lt.lot.id, amount: lt.lot.next, currency: lt.lot.cur, bid_id: id } }));
    return 'socket';
  };

  // collect returns the WebRTC figures since the previous call as deltas
  // (never adding jitter buffer delay to processing delay, which already
  // contains it), and the bid round trips measured since.
  lt.collect = async () => {
    const out = { video: [], bidRTT: lt.bidRTT.splice(0), decisions: lt.decisions.splice(0), firstFrameMs: lt.firstFrameMs,
      pcs: lt.pcs.length, connected: 0, errors: lt.errors.splice(0) };
    for (let i = 0; i < lt.pcs.length; i++) {
      const pc = lt.pcs[i];
      if (pc.connectionState === 'connected') out.connected++;
      if (pc.connectionState === 'closed') continue;
      let stats;
      try { stats = await pc.getStats(); } catch (e) { continue; }
      let rtt = null;
      stats.forEach((s) => {
        if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded' && s.currentRoundTripTime !== undefined) rtt = s.currentRoundTripTime * 1000;
      });
      stats.forEach((s) => {
        if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
        const key = i + ':' + s.ssrc;
        const p = lt.prev.get(key) || {};
        const d = (f) => (s[f] || 0) - (p[f] || 0);
        const emitted = d('jitterBufferEmittedCount'), decoded = d('framesDecoded');
        out.video.push({
          jitter_ms: emitted > 0 ? d('jitterBufferDelay') / emitted * 1000 : null,
          processing_ms: decoded > 0 ? d('totalProcessingDelay') / decoded * 1000 : null,
          decode_ms: decoded > 0 ? d('totalDecodeTime') / decoded * 1000 : null,
          frames: decoded, freezes: d('freezeCount'), freeze_s: d('totalFreezesDuration'),
          lost: d('packetsLost'), received: d('packetsReceived'), fps: s.framesPerSecond || 0,
          width: s.frameWidth || 0, rtt_ms: rtt,
        });
        lt.prev.set(key, s);
      });
    }
    return out;
  };
})();
