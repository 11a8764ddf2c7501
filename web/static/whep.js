// watch plays a room's broadcast into a <video> over WHEP, retrying while
// the seller is not on air and when the session drops. Before each retry it
// asks keepTrying (an async predicate; the room page answers false once the
// show has ended) and gives up for good on false. It returns a function
// giving the frames decoded so far (from getStats, summed over sessions),
// for diagnostics and tests, with `player` on it (see below).
// viewerToken, for a private room, is sent as the bearer; without it the
// session cookie speaks for the user.
//
// Where: in a cluster the join reply may name the node this viewer should
// watch on (media_url, docs/protocol.md); player.setTarget(url) watches
// there ("" means this origin's /whep/{room}, where a load balancer picks a
// node and the node may redirect with 307). A node that cannot be reached
// sends the player back to this origin.
//
// Node death: a node killed mid-show sends nothing, and the browser calls
// the peer connection "disconnected" only after several seconds. So the
// player listens for anything from the node (RTP, RTCP sender reports, ICE
// consent answers) and starts a new session when it has heard nothing for
// a while: 3.5 s normally, 0.7 s for the next 10 s after suspect() (the
// room page calls it when its WebSocket drops, a hint that a node died);
// a node it reaches by its own URL is asked after 1 s of silence, and a
// node that does not answer is left at once.
// Retries after a node is lost back off from 250 ms to 1 s, then 3 s, with
// jitter, so a crowd of viewers does not return in one wave.
//
// opts.ready, a promise, holds the first offer back until it settles (the
// room page: its first join reply, which may name the node).
//
// player: `stop()` ends the session and the retries; `restart()` starts a
// new session now; `setTarget(url)`; `suspect()`; `attempts` counts WHEP
// offers; `log` keeps the last ones' outcomes; `stopped` says it gave up;
// `pc` is the current peer connection; `reconnecting` is true from a lost session until the new one decodes a
// frame (a refusal, such as nobody on air, clears it); `url` is the URL that
// answered the last offer (after redirects).
export function watch(roomID, video, viewerToken = "", keepTrying = async () => true, opts = {}) {
  const own = `/whep/${roomID}`;
  let pc;
  let gen = 0;          // session generation: callbacks of old sessions do nothing
  let timer = 0;        // the pending retry
  let fails = 0;        // failed attempts in a row, for the backoff
  let prior = 0;        // frames decoded by earlier sessions
  let lastFrames = 0;   // frames of the current session at the last look
  let heard = -1;       // sum of the counters that mean "the node is there"
  let heardAt = 0;
  let suspectUntil = 0;
  let connectedAt = 0;
  let begun = false;    // the first offer waits for opts.ready
  let probing = false;  // a look at a silent node is under way
  const player = {
    attempts: 0, stopped: false, reconnecting: false, url: "", target: "", log: [],
    stop, restart, setTarget, suspect() { suspectUntil = Date.now() + 10000; },
  };
  // note keeps the last attempts' outcomes (page time, URL, status or
  // error), for diagnostics and tests.
  const note = (url, outcome) => {
    player.log.push({ at: Date.now(), url, outcome });
    if (player.log.length > 20) player.log.shift();
  };
  function stop() {
    player.stopped = true;
    clearTimeout(timer);
    clearInterval(watchdog);
    close();
  }
  function close() {
    gen++;
    prior += lastFrames;
    lastFrames = 0;
    try { pc?.close(); } catch { /* closed */ }
    pc = null;
  }
  // restart drops the session at once and starts another (a node lost, or
  // a new place to watch).
  function restart(lost = true) {
    if (player.stopped) return;
    begun = true;
    // A lost session's node may be dead: this origin places the next one.
    if (lost) { player.reconnecting = true; player.target = ""; }
    clearTimeout(timer);
    close();
    start();
  }
  function setTarget(url) {
    url = url || "";
    if (url === player.target) return;
    player.target = url;
    if (begun) restart(false);
  }
  // retry waits and tries again: 3 s after a refusal (the seller is not on
  // air yet), a short growing backoff after a lost node.
  const retry = (refused) => {
    if (player.stopped) return;
    close();
    clearTimeout(timer);
    fails++;
    // A dead node may be offered for a few seconds more (until the
    // cluster drops it, docs/SCALING.md): tries stay a second apart
    // through that window, then slow down.
    const wait = refused ? 3000 : (fails > 6 ? 3000 : Math.min(250 * 2 ** (fails - 1), 1000)) * (0.75 + Math.random() / 2);
    // A refusal (nobody on air, an ended show) is not a lost node: the page
    // says why itself ("the seller is offline").
    player.reconnecting = !refused;
    timer = setTimeout(async () => {
      if (player.stopped) return;
      if (await keepTrying().catch(() => true)) start();
      else stop();
    }, wait);
  };
  async function start() {
    if (player.stopped) return;
    const my = ++gen;
    player.attempts++;
    const url = player.target || own;
    const servers = await iceServers(roomID, viewerToken, url);
    if (player.stopped || my !== gen) return;
    const conn = new RTCPeerConnection(rtcConfig(servers));
    pc = conn;
    player.pc = conn;
    heard = -1;
    connectedAt = 0;
    conn.addTransceiver("video", { direction: "recvonly" });
    conn.addTransceiver("audio", { direction: "recvonly" });
    const stream = new MediaStream();
    conn.ontrack = (e) => {
      stream.addTrack(e.track);
      if (video.srcObject !== stream) video.srcObject = stream;
      video.play().catch(() => { /* autoplay needs a tap; the unmute button gives one */ });
    };
    conn.onconnectionstatechange = () => {
      if (my !== gen || player.stopped) return;
      if (conn.connectionState === "connected") connectedAt = Date.now();
      if (conn.connectionState === "failed" || conn.connectionState === "closed") retry(false);
    };
    try {
      await conn.setLocalDescription(await conn.createOffer());
      await gathered(conn);
      const r = await fetch(url, {
        method: "POST", credentials: "same-origin", signal: AbortSignal.timeout(5000),
        headers: { "Content-Type": "application/sdp", ...(viewerToken ? { Authorization: `Bearer ${viewerToken}` } : {}) },
        body: conn.localDescription.sdp,
      });
      if (my !== gen) return;
      note(url, r.redirected ? `${r.status} via ${r.url}` : r.status);
      if (!r.ok) {
        if (r.redirected && viewerToken && (r.status === 401 || r.status === 403) && !player.target) {
          // Browsers drop Authorization on a cross-origin redirect: offer
          // to the node this origin named, with the token, at once.
          player.target = r.url;
          retry(false);
          return;
        }
        if (player.target) player.target = ""; // the named node refused: ask this origin again
        retry(r.status < 500);
        return;
      }
      player.url = r.url;
      await conn.setRemoteDescription({ type: "answer", sdp: await r.text() });
      heardAt = Date.now();
    } catch (err) {
      if (my !== gen) return;
      note(url, String(err?.name || err));
      // A node that cannot be reached: the load balancer finds a live one.
      if (player.target) player.target = "";
      retry(false);
    }
  }

  // The watchdog looks twice a second for signs of the node and of frames.
  const watchdog = setInterval(async () => {
    const conn = pc;
    const my = gen;
    if (!conn || player.stopped || !conn.remoteDescription) return;
    let sum = 0;
    let frames = 0;
    try {
      (await conn.getStats()).forEach((s) => {
        if (s.type === "inbound-rtp") { sum += s.packetsReceived || 0; if (s.kind === "video") frames += s.framesDecoded || 0; }
        if (s.type === "remote-outbound-rtp") sum += s.reportsSent || s.packetsSent || 0;
        if (s.type === "candidate-pair") sum += (s.responsesReceived || 0) + (s.requestsReceived || 0);
      });
    } catch { return; }
    if (my !== gen) return;
    lastFrames = frames;
    const now = Date.now();
    if (sum !== heard) { heard = sum; heardAt = now; }
    if (frames > 0 && player.reconnecting) { player.reconnecting = false; fails = 0; }
    else if (frames > 0) fails = 0;
    const quiet = now - heardAt;
    const limit = now < suspectUntil ? 700 : 3500;
    // A second of silence from a node the player reaches by its own URL
    // (media_url, or a redirect): ask that node whether it is there.
    if (connectedAt && quiet > 1000 && quiet <= limit && !probing && new URL(player.url || own, location.href).origin !== location.origin) {
      probing = true;
      fetch(player.url, { method: "OPTIONS", signal: AbortSignal.timeout(1500) })
        .then(() => {}, () => { if (my === gen && !player.stopped) { note(player.url, "node gone"); restart(true); } })
        .finally(() => { probing = false; });
    }
    // Not connected 8 s after the answer, or silent too long: start again.
    if ((!connectedAt && quiet > 8000) || (connectedAt && quiet > limit)) {
      note(player.url, `silent ${quiet} ms`);
      restart(true);
    }
  }, 500);

  // The first offer waits for opts.ready (the room page: its first join
  // reply, which may name another node), so it is made once, in the right
  // place.
  Promise.resolve(opts.ready).catch(() => {}).then(() => {
    if (begun || player.stopped) return;
    begun = true;
    start();
  });
  const frames = async () => {
    let n = 0;
    const stats = await pc?.getStats();
    stats?.forEach((r) => { if (r.type === "inbound-rtp" && r.kind === "video") n += r.framesDecoded || 0; });
    return prior + n;
  };
  frames.player = player;
  return frames;
}

// rtcConfig is the RTCPeerConnection configuration for ICE servers (WHEP's
// Link headers, or media.ice over the WebSocket). A test, or an operator
// checking their TURN server, forces relay-only ICE with
// localStorage["bidcast.iceTransportPolicy"] = "relay": then only TURN can
// connect the page.
export function rtcConfig(servers) {
  let policy = "all";
  try { if (localStorage.getItem("bidcast.iceTransportPolicy") === "relay") policy = "relay"; } catch { /* no storage */ }
  return { iceServers: servers, iceTransportPolicy: policy };
}

// iceServers asks the WHEP endpoint for its ICE servers before the offer
// (RFC 9725 section 4.6): with SFU_TURN_URLS set they include a TURN server
// with a credential the server minted for this viewer, which a network that
// blocks UDP, or a symmetric NAT, needs. Any failure means none.
export async function iceServers(roomID, viewerToken = "", url = `/whep/${roomID}`) {
  try {
    const r = await fetch(url, {
      method: "OPTIONS", credentials: "same-origin", signal: AbortSignal.timeout(2000),
      headers: viewerToken ? { Authorization: `Bearer ${viewerToken}` } : {},
    });
    const out = [];
    const link = /<([^>]+)>;\s*rel="ice-server"(?:;\s*username="([^"]*)";\s*credential="([^"]*)")?/g;
    for (const m of (r.headers.get("Link") || "").matchAll(link)) {
      out.push(m[2] ? { urls: m[1], username: m[2], credential: m[3] } : { urls: m[1] });
    }
    return out;
  } catch {
    return [];
  }
}

// gathered waits for ICE gathering to finish (at most 2 s): WHEP here is
// one offer and one answer, without trickle.
function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { if (pc.iceGatheringState === "complete") resolve(); };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, 2000);
  });
}
