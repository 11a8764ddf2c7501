// watch plays a room's broadcast into a <video> over WHEP, retrying while
// the seller is not on air and when the session drops. Before each retry it
// asks keepTrying (an async predicate; the room page answers false once the
// show has ended) and gives up for good on false. It returns a function
// giving the current session's decoded video frame count (from getStats),
// for diagnostics and tests, with `player` on it: `stop()` ends the session
// and the retries, `attempts` counts WHEP offers, `stopped` says it gave up,
// `pc` is the current peer connection.
// viewerToken, for a private room, is sent as the bearer; without it the
// session cookie speaks for the user.
export function watch(roomID, video, viewerToken = "", keepTrying = async () => true) {
  let pc;
  const player = { attempts: 0, stopped: false, stop };
  function stop() {
    player.stopped = true;
    try { pc?.close(); } catch { /* closed */ }
  }
  const retry = () => {
    if (player.stopped) return;
    try { pc?.close(); } catch { /* closed */ }
    setTimeout(async () => {
      if (player.stopped) return;
      if (await keepTrying().catch(() => true)) start();
      else stop();
    }, 3000);
  };
  async function start() {
    if (player.stopped) return;
    player.attempts++;
    const servers = await iceServers(roomID, viewerToken);
    if (player.stopped) return;
    pc = new RTCPeerConnection(rtcConfig(servers));
    player.pc = pc;
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    const stream = new MediaStream();
    pc.ontrack = (e) => {
      stream.addTrack(e.track);
      if (video.srcObject !== stream) video.srcObject = stream;
      video.play().catch(() => { /* autoplay needs a tap; the unmute button gives one */ });
    };
    pc.onconnectionstatechange = () => {
      if (!player.stopped && (pc.connectionState === "failed" || pc.connectionState === "closed")) retry();
    };
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      const r = await fetch(`/whep/${roomID}`, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/sdp", ...(viewerToken ? { Authorization: `Bearer ${viewerToken}` } : {}) },
        body: pc.localDescription.sdp,
      });
      if (!r.ok) throw new Error(`WHEP ${r.status}`);
      await pc.setRemoteDescription({ type: "answer", sdp: await r.text() });
    } catch {
      retry();
    }
  }
  start();
  const frames = async () => {
    let n = 0;
    const stats = await pc?.getStats();
    stats?.forEach((r) => { if (r.type === "inbound-rtp" && r.kind === "video") n += r.framesDecoded || 0; });
    return n;
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
export async function iceServers(roomID, viewerToken = "") {
  try {
    const r = await fetch(`/whep/${roomID}`, {
      method: "OPTIONS", credentials: "same-origin",
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
