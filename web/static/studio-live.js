// The studio's broadcast: camera preview (rear by default, front/rear
// switch, mic mute), going live through the API, publishing over the room's
// WebSocket (media.publish with trickle ICE, docs/protocol.md), lot
// controls, and chat moderation.
import { t, reason, money } from "/i18n.js";
import { call } from "/api.js";
import { Socket } from "/socket.js";
import { rtcConfig } from "/whep.js";

const $ = (id) => document.getElementById(id);

/** Live owns the broadcast, lot-control and moderation sections. */
export class Live {
  constructor(ctx, catalog) {
    this.ctx = ctx;
    this.catalog = catalog;
    this.facing = "environment";
    this.stream = null;
    this.socket = null;
    this.pc = null;
    this.session = null;
    this.wantAir = false;
    this.lot = null;
    this.offset = 0;
    this.candidates = []; // server candidates that came before their answer
    ctx.command = (type, data) => this.command(type, data);
    ctx.roomChanged.push((room) => this.roomChanged(room));
    $("cam-start").onclick = () => this.startCamera().catch((e) => this.ctx.say(t.cameraDenied + (e.message || e), "error"));
    $("cam-flip").onclick = () => this.flip();
    $("cam-mute").onclick = () => this.toggleMic();
    $("go-live").onclick = () => this.goLive();
    $("stop-air").onclick = () => this.stopAir();
    $("end-show").onclick = () => this.endShow();
    $("lot-next").onclick = () => {
      const next = this.catalog.nextPending();
      if (!next) return this.ctx.say(reason("conflict"), "error");
      this.command("lot.start", { lot_id: next.id });
    };
    for (const [id, type] of [["lot-pause", "lot.pause"], ["lot-resume", "lot.resume"], ["lot-end", "lot.end"], ["lot-skip", "lot.skip"]]) {
      $(id).onclick = () => this.command(type, {});
    }
    $("slow").onchange = (e) => this.command("mod.slow", { seconds: Number(e.target.value) });
    $("chat-form").onsubmit = async (e) => {
      e.preventDefault();
      const text = $("chat-text").value.trim();
      if (text && await this.command("chat.send", { text }, true)) $("chat-text").value = "";
    };
    setInterval(() => this.tick(), 200);
    this.renderAir();
  }

  // ---- camera -------------------------------------------------------------------
  async startCamera() {
    if (this.stream) return;
    this.stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: this.facing }, width: { ideal: 1280 }, height: { ideal: 720 } }, audio: true,
    });
    $("preview").srcObject = this.stream;
    $("cam-flip").disabled = false;
    $("cam-mute").disabled = false;
    $("cam-start").classList.add("hidden"); // the preview shows it is on
  }

  async flip() {
    if (!this.stream) return;
    this.facing = this.facing === "environment" ? "user" : "environment";
    try {
      const s = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: this.facing } } });
      const track = s.getVideoTracks()[0];
      const old = this.stream.getVideoTracks()[0];
      const sender = this.pc?.getSenders().find((x) => x.track?.kind === "video");
      if (sender) await sender.replaceTrack(track);
      if (old) { this.stream.removeTrack(old); old.stop(); }
      this.stream.addTrack(track);
      $("preview").srcObject = this.stream;
    } catch (e) { this.ctx.say(t.cameraDenied + (e.message || e), "error"); }
  }

  toggleMic() {
    const a = this.stream?.getAudioTracks()[0];
    if (!a) return;
    a.enabled = !a.enabled;
    $("cam-mute").textContent = a.enabled ? t.mute : t.unmuteMic;
  }

  // ---- the show -----------------------------------------------------------------
  async goLive() {
    const room = this.ctx.room;
    if (!room) return this.ctx.say(t.chooseRoom, "error");
    try {
      await this.startCamera();
    } catch (e) { return this.ctx.say(t.cameraDenied + (e.message || e), "error"); }
    this.wantAir = true;
    this.renderAir(t.connecting);
    try {
      if (room.status !== "live") {
        await call("POST", `/api/v1/rooms/${room.id}/live`);
        await this.ctx.reloadRoom(); // connects the socket; its join publishes
      } else if (this.joined) this.publish();
      else this.connect();
    } catch (err) { this.wantAir = false; this.renderAir(); this.ctx.fail(err); }
  }

  async endShow() {
    if (!this.ctx.room || !confirm(t.confirmEnd)) return;
    this.stopAir();
    try {
      await call("POST", `/api/v1/rooms/${this.ctx.room.id}/end`);
      await this.ctx.reloadRoom();
    } catch (err) { this.ctx.fail(err); }
  }

  roomChanged(room) {
    if (this.socket && this.socket.roomID !== room?.id) {
      this.stopAir();
      this.socket.close();
      this.socket = null;
      this.joined = false;
    }
    $("chat").replaceChildren();
    if (room?.status === "live" && !this.socket) this.connect();
    if (room?.status !== "live") { this.lot = null; this.renderLot(); }
  }

  connect() {
    this.socket = new Socket(this.ctx.room.id, {
      snapshot: (d) => { this.lot = d.state?.lot || null; $("chat").replaceChildren(); for (const c of d.chat || []) this.addChat(c); this.renderLot(); },
      event: (type, d) => this.event(type, d),
      viewers: (n) => { $("viewers").textContent = t.viewers(n); },
      offset: (ms) => { this.offset = ms; },
      // The socket's node is the broadcast's: when it drops (the node may
      // have died), the socket reconnects through the load balancer and
      // the join publishes again; until then the studio says so.
      status: (up) => { if (!up) { this.joined = false; this.lost = this.wantAir; this.dropPeer(); this.renderAir(); } },
      joined: () => { this.joined = true; if (this.wantAir) this.publish(); },
      error: (code, message) => this.ctx.say(reason(code, message), "error"),
    });
    this.socket.connect();
  }

  async command(type, data, quiet) {
    if (!this.socket || !this.joined) { this.ctx.say(reason("not_joined"), "error"); return false; }
    try {
      await this.socket.request(type, data);
      if (!quiet) this.ctx.say(t.done, "ok");
      return true;
    } catch (err) { this.ctx.fail(err); return false; }
  }

  // ---- publishing over the WebSocket ------------------------------------------------
  async publish() {
    if (!this.wantAir || !this.stream || this.pc) return;
    // The ICE servers first (media.ice): a seller whose network blocks UDP,
    // or behind a symmetric NAT, relays through the server's TURN with a
    // credential minted for this connection. An older server has none.
    const ice = await this.socket.request("media.ice", {}).catch(() => null);
    if (!this.wantAir || !this.stream || this.pc || !this.joined) return;
    const pc = new RTCPeerConnection(rtcConfig(ice?.ice_servers || []));
    this.pc = pc;
    this.session = null;
    const mine = []; // our candidates, held until the session has an ID
    for (const track of this.stream.getTracks()) pc.addTransceiver(track, { direction: "sendonly", streams: [this.stream] });
    pc.onicecandidate = (e) => {
      if (!e.candidate) return;
      const c = JSON.stringify(e.candidate.toJSON());
      if (this.session) this.socket.request("media.candidate", { session_id: this.session, candidate: c }).catch(() => {});
      else mine.push(c);
    };
    pc.onconnectionstatechange = () => {
      this.renderAir();
      if (pc.connectionState === "failed") this.retry(pc);
    };
    try {
      await pc.setLocalDescription(await pc.createOffer());
      const ans = await this.socket.request("media.publish", { sdp: pc.localDescription.sdp });
      if (this.pc !== pc) return;
      this.session = ans.session_id;
      await pc.setRemoteDescription({ type: "answer", sdp: ans.sdp });
      for (const c of mine) this.socket.request("media.candidate", { session_id: this.session, candidate: c }).catch(() => {});
      for (const c of this.candidates.splice(0)) if (c.session_id === this.session) this.addRemote(c.candidate);
    } catch (err) {
      this.ctx.fail(err);
      this.retry(pc);
    }
    this.renderAir();
  }

  retry(pc) {
    if (this.pc !== pc) return;
    this.dropPeer();
    if (this.wantAir) setTimeout(() => { if (this.joined) this.publish(); }, 3000);
  }

  addRemote(candidate) {
    if (!candidate) return; // end of candidates
    try { this.pc?.addIceCandidate(JSON.parse(candidate)).catch(() => {}); } catch { /* malformed */ }
  }

  dropPeer() {
    if (this.session && this.joined) this.socket.request("media.close", { session_id: this.session }).catch(() => {});
    try { this.pc?.close(); } catch { /* closed */ }
    this.pc = null;
    this.session = null;
  }

  stopAir() {
    this.wantAir = false;
    this.dropPeer();
    this.renderAir();
  }

  renderAir(note) {
    const on = this.pc?.connectionState === "connected";
    $("on-air").textContent = t.onAir;
    $("on-air").classList.toggle("hidden", !on);
    if (on || !this.wantAir) this.lost = false;
    $("pub-state").textContent = note && !on ? note : (on ? t.onAir : (this.wantAir ? (this.lost ? t.reconnecting : t.connecting) : t.offAir));
    // One button in one place: Go live, then Stop broadcast instead of it.
    $("stop-air").disabled = !this.wantAir;
    $("go-live").disabled = this.wantAir;
    $("stop-air").classList.toggle("hidden", !this.wantAir);
    $("go-live").classList.toggle("hidden", this.wantAir);
    window.bidcastStudio && (window.bidcastStudio.onAir = on);
  }

  // ---- room events ----------------------------------------------------------------
  event(type, ev) {
    if (type === "media.candidate") {
      if (ev.session_id === this.session) this.addRemote(ev.candidate);
      else this.candidates.push(ev);
      return;
    }
    if (type === "chat.message") return this.addChat(ev);
    if (type === "chat.deleted") return document.querySelector(`#chat [data-message="${CSS.escape(ev.message_id)}"]`)?.remove();
    if (!ev.lot_id) return;
    if (type === "lot.started" || this.lot?.id !== ev.lot_id) this.lot = { id: ev.lot_id };
    for (const k of ["status", "high_bid", "deadline", "result", "leader"]) if (ev[k] != null) this.lot[k] = ev[k];
    if (type === "lot.started" || type === "lot.closed") this.catalog.loadLots();
    if (type === "lot.closed") this.ctx.lotClosed?.();
    this.renderLot();
  }

  renderLot() {
    const l = this.lot;
    const info = l && this.catalog.lots.find((x) => x.id === l.id);
    $("lot-title").textContent = l ? (info?.item?.title || "") : t.noLot;
    $("lot-status").textContent = l?.status ? (t.status[l.status] || l.status) : "";
    $("price").textContent = l?.high_bid?.amount ? money(l.high_bid.amount, l.high_bid.currency) : (l ? t.noBids : "");
    const live = l && (l.status === "live" || l.status === "closing");
    $("lot-pause").disabled = !live;
    $("lot-end").disabled = !live;
    $("lot-skip").disabled = !live && l?.status !== "paused";
    $("lot-resume").disabled = l?.status !== "paused";
    const r = l?.result;
    $("lot-leader").textContent = r
      ? (r.status === "sold" ? t.sold(money(r.price?.amount, r.price?.currency), r.winner || "?") : t.unsold)
      : (l?.leader ? `${t.leader}: ${l.leader}` : "");
    this.renderNext();
  }

  // renderNext enables "Start next lot" only between lots and while the
  // queue has a lot waiting (the catalog loads on its own time).
  renderNext() {
    const l = this.lot;
    const running = l && (l.status === "live" || l.status === "closing" || l.status === "paused");
    $("lot-next").disabled = !!running || !this.catalog.nextPending();
  }

  tick() {
    const l = this.lot;
    let text = "–";
    if (l?.status === "paused") text = t.paused;
    else if (l?.result || l?.status === "sold" || l?.status === "unsold") text = t.ended;
    else if (l?.deadline) {
      const left = Math.max(0, Date.parse(l.deadline) - (Date.now() + this.offset));
      text = `${Math.floor(left / 60000)}:${String(Math.floor(left / 1000) % 60).padStart(2, "0")}`;
    }
    $("clock").textContent = text;
    this.renderNext();
  }

  addChat(c) {
    const li = document.createElement("li");
    li.dataset.message = c.message_id;
    const name = document.createElement("strong");
    name.textContent = (c.display_name || "?") + ": ";
    li.append(name, document.createTextNode(c.text || ""));
    // Chat carries no user IDs: moderation names the author by a message.
    if (!c.seller) {
      const tools = document.createElement("span");
      tools.className = "tools";
      // ask, when set, is a question the seller confirms first.
      const act = (label, type, data, ask) => {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "small";
        b.textContent = label;
        b.dataset.action = type;
        b.onclick = () => { if (!ask || confirm(ask)) this.command(type, data); };
        tools.append(b);
      };
      act(t.del, "chat.delete", { message_id: c.message_id });
      act(t.muteUser, "mod.mute", { message_id: c.message_id, seconds: 300 });
      act(t.ban, "mod.ban", { message_id: c.message_id }, t.confirmBan(c.display_name || "?"));
      li.append(tools);
    }
    $("chat").append(li);
    $("chat").scrollTop = $("chat").scrollHeight;
  }
}
