package sfu

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// pubTrack is one incoming RTP stream: a publisher's audio track, or one
// simulcast layer of its video. Exactly one goroutine (readLoop) reads it.
type pubTrack struct {
	srv    *Server
	feed   *feed
	pc     *webrtc.PeerConnection
	remote *webrtc.TrackRemote
	ssrc   uint32
	rid    string
	codec  webrtc.RTPCodecCapability
	video  bool
	h264   bool
	vp8    bool
	nack   *nackBuffer

	// relayRank is 1 + the layer's place in the origin's order when this
	// track relays one layer of another node's publisher (0 otherwise).
	relayRank int

	// mu guards the keyframe cache and frame tracking. The reader holds it
	// while it caches and dispatches a packet, and a joining viewer holds it
	// while it snapshots the cache and joins the fan-out, so the viewer sees
	// every packet after the cached ones exactly once.
	mu      sync.Mutex
	gop     gopCache
	curTS   uint32
	curKey  bool
	curPos  uint16 // position of the last packet in its frame
	haveCur bool

	// delay is the read-to-sent histogram of a video track (nil for audio).
	delay *sendDelay

	plis      pliHistory   // whether this track answers keyframe requests
	lastPLI   atomic.Int64 // Server.now() of the last PLI sent
	lastKey   atomic.Int64 // Server.now() of the last keyframe start received
	wantKeyAt atomic.Int64 // Server.now() of the newest keyframe request
	timerMu   sync.Mutex
	timer     *time.Timer // deferred PLI while throttled
	closed    atomic.Bool

	// Reader-owned loss accounting.
	highSeq uint16
	haveSeq bool

	st trackCounters
}

// trackCounters are read by Stats while the reader updates them.
type trackCounters struct {
	packets, bytes, gaps, plis, keyframes, requests atomic.Uint64
	bitrate                                         atomic.Uint64
	lastBytes                                       uint64 // ticker-owned
}

func newPubTrack(srv *Server, f *feed, pc *webrtc.PeerConnection, remote *webrtc.TrackRemote) *pubTrack {
	codec := remote.Codec().RTPCodecCapability
	t := &pubTrack{
		srv: srv, feed: f, pc: pc, remote: remote,
		ssrc:  uint32(remote.SSRC()),
		rid:   remote.RID(),
		codec: codec,
		video: remote.Kind() == webrtc.RTPCodecTypeVideo,
		h264:  strings.EqualFold(codec.MimeType, webrtc.MimeTypeH264),
		vp8:   strings.EqualFold(codec.MimeType, webrtc.MimeTypeVP8),
	}
	size := srv.cfg.NACKBufferAudio
	if t.video {
		size = srv.cfg.NACKBufferVideo
		t.gop.limit = srv.cfg.GOPCacheBytes
		t.delay = new(sendDelay)
	}
	t.nack = newNACKBuffer(size)
	return t
}

// readLoop reads packets until the track ends. It is the only goroutine that
// reads this track, so per-packet state needs no lock beyond mu.
func (t *pubTrack) readLoop() {
	defer t.srv.wg.Done()
	defer t.close()
	for {
		p := getPacket()
		n, _, err := t.remote.Read(p.buf[:])
		if err != nil {
			p.release()
			return
		}
		if !p.parse(n) {
			p.release()
			continue
		}
		t.handle(p)
		p.release()
	}
}

// handle classifies, stores and fans out one parsed packet. Split from
// readLoop so benchmarks can drive the hot path without a network.
func (t *pubTrack) handle(p *packet) {
	p.recv = t.srv.now()
	p.src = t
	p.pos, p.inKey = 0, false
	t.account(p)
	if t.video {
		if !p.padding {
			t.classify(p)
		}
	} else {
		// Every audio packet is independently decodable.
		p.keyframe, p.kfStart = true, true
	}
	t.nack.put(p)
	t.mu.Lock()
	if t.video {
		t.gop.add(p)
	}
	congested := t.feed.shards.dispatch(t.srv.writers, p)
	t.mu.Unlock()
	if congested {
		t.requestKeyframe()
	}
}

func (t *pubTrack) account(p *packet) {
	t.st.packets.Add(1)
	t.st.bytes.Add(uint64(p.n))
	if !t.haveSeq {
		t.highSeq, t.haveSeq = p.seq, true
		return
	}
	if d := p.seq - t.highSeq; int16(d) > 0 {
		if d > 1 {
			t.st.gaps.Add(uint64(d - 1))
		}
		t.highSeq = p.seq
	}
}

// classify marks keyframe packets, and the first keyframe packet of each
// frame as a point where a viewer may start.
func (t *pubTrack) classify(p *packet) {
	if !t.haveCur || int32(p.ts-t.curTS) > 0 {
		t.curTS, t.curKey, t.curPos, t.haveCur = p.ts, false, 0, true
	} else if p.ts == t.curTS {
		t.curPos++
	}
	switch {
	case t.h264:
		p.keyframe = isH264Keyframe(p.Payload())
	case t.vp8:
		p.keyframe = isVP8Keyframe(p.Payload())
	}
	if p.keyframe && !t.curKey && p.ts == t.curTS {
		p.kfStart, t.curKey = true, true
		t.lastKey.Store(p.recv)
		t.plis.keyframe(p.recv)
		t.st.keyframes.Add(1)
	}
	if p.ts == t.curTS {
		p.pos, p.inKey = t.curPos, t.curKey
	}
}

// replayLocked returns the cached group of pictures for a joining viewer,
// or nil when the viewer should wait for the next keyframe; stale reports
// that a keyframe should be asked for. A group younger than
// Config.KeyframeCacheMaxAge is replayed as it is. An older one is worth
// replaying only when the publisher may not answer the request (see
// pliHistory): then it is squeezed to the live edge (see replay); a
// publisher that answers sends a fresh keyframe within a round trip, and a
// replay would only be a burst of old frames the viewer drops.
func (t *pubTrack) replayLocked() (r *replay, stale bool) {
	now := t.srv.now()
	at := t.gop.at
	if at == 0 || len(t.gop.pkts) == 0 {
		return nil, true
	}
	if now-at <= int64(t.srv.cfg.KeyframeCacheMaxAge) {
		pkts, _ := t.gop.snapshot()
		return &replay{pkts: pkts}, false
	}
	if t.plis.answers(now) {
		return nil, true
	}
	pkts, _ := t.gop.snapshot()
	return &replay{pkts: pkts, squeeze: true}, true
}

// prefetchKeyframe asks for a keyframe when a viewer starts negotiating and
// the cached group of pictures would be old by the time it connects, so
// that a fresh one is cached when it does instead of a round trip later.
func (t *pubTrack) prefetchKeyframe() {
	t.mu.Lock()
	old := t.gop.at == 0 || t.srv.now()-t.gop.at > int64(t.srv.cfg.KeyframeCacheMaxAge)/2
	t.mu.Unlock()
	if old {
		t.requestKeyframe()
	}
}

// requestKeyframe asks the publisher for a keyframe, at most once per
// Config.PLIInterval. A throttled request is not lost: a timer sends it when
// the interval ends unless a keyframe arrived in the meantime.
func (t *pubTrack) requestKeyframe() {
	if !t.video || t.closed.Load() {
		return
	}
	t.st.requests.Add(1)
	now := t.srv.now()
	t.wantKeyAt.Store(now)
	interval := int64(t.srv.cfg.PLIInterval)
	last := t.lastPLI.Load()
	if now-last >= interval && t.lastPLI.CompareAndSwap(last, now) {
		t.sendPLI()
		return
	}
	t.timerMu.Lock()
	defer t.timerMu.Unlock()
	if t.timer != nil || t.closed.Load() {
		return
	}
	delay := time.Duration(last + interval - now)
	if delay < time.Millisecond {
		delay = time.Millisecond
	}
	t.timer = time.AfterFunc(delay, t.deferredPLI)
}

func (t *pubTrack) deferredPLI() {
	t.timerMu.Lock()
	t.timer = nil
	t.timerMu.Unlock()
	if t.closed.Load() || t.lastKey.Load() >= t.wantKeyAt.Load() {
		return // a keyframe already answered the request
	}
	t.requestKeyframe()
}

func (t *pubTrack) sendPLI() {
	t.st.plis.Add(1)
	t.plis.sent(t.srv.now())
	_ = t.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: t.ssrc}})
}

// close stops timers and frees buffered packets once the reader is done.
func (t *pubTrack) close() {
	t.closed.Store(true)
	t.timerMu.Lock()
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
	t.timerMu.Unlock()
	t.feed.removeLayer(t)
	t.mu.Lock()
	t.gop.reset()
	t.mu.Unlock()
	t.nack.clear()
}
