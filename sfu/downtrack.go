package sfu

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// downTrack is what one viewer receives of one feed. It implements
// webrtc.TrackLocal itself (instead of sharing a TrackLocalStaticRTP) so that
// each viewer has its own sequence number and timestamp space: the SFU can
// drop packets for one viewer, switch its simulcast layer or follow a
// restarted publisher, and the viewer still sees one continuous stream.
//
// Concurrency: writeLive and everything it calls run only on the viewer's
// writer goroutine; the NACK path runs on the RTCP goroutine and shares only
// the offset mapping (mapMu) and the write stream (safe for concurrent use).
type downTrack struct {
	srv      *Server
	feed     *feed
	id       string
	streamID string
	kind     webrtc.RTPCodecType
	codec    webrtc.RTPCodecCapability
	writer   int
	est      BandwidthEstimator
	pin      *layerPin // set for another node's relay: fixed layer, no estimate

	bound     atomic.Bool
	closed    atomic.Bool
	ssrc      uint32
	pt        uint8
	ws        webrtc.TrackLocalWriter
	target    atomic.Pointer[pubTrack]
	congested atomic.Bool
	replay    atomic.Pointer[replay]
	sender    *webrtc.RTPSender // set before the session lists the track
	// direct, once set, encrypts and batches this track's packets itself
	// (directsrtp.go); from then on none goes through ws.
	direct atomic.Pointer[directSRTP]

	// Writer-owned state.
	src       *pubTrack
	needKey   bool
	started   bool
	hdr       rtp.Header
	lastSeq   uint16
	lastTS    uint32
	lastRecv  int64
	epochPub  uint16 // first publisher seq of the current offset epoch
	replaying bool
	// While a squeezed replay is written: each replayed frame's timestamp
	// relative to the newest one (see squeezedTimestamps), the newest
	// frame's publisher timestamp, and the timestamps sent so far by
	// sequence number from sqPendingStart.
	squeeze        map[uint32]uint32
	squeezeBase    uint32
	sqPending      []uint32
	sqPendingStart uint16
	srLastTS       uint32 // the newest timestamp given to srRef
	srStarted      bool

	// srRef maps this track's RTP clock to the server's for sender
	// reports (senderreport.go): the writer sets it once per frame.
	srMu  sync.Mutex
	srRef struct {
		ts  uint32
		at  int64 // Server.now() when the frame's first packet arrived
		set bool
	}

	// mapMu guards the mapping the NACK path reads.
	mapMu     sync.Mutex
	mapSrc    *pubTrack
	seqOffset uint16
	tsOffset  uint32
	epochSub  uint16
	// Squeezed replays do not follow the offsets: sqTS[i] is the timestamp
	// sent with subscriber sequence number sqStart+i, for retransmissions.
	sqStart uint16
	sqTS    []uint32

	rtxMu  sync.Mutex
	rtxHdr rtp.Header

	st downCounters
}

// downCounters are updated by the writer and RTCP goroutines and read by Stats.
type downCounters struct {
	packets, bytes, dropped, nacks, rtx, rtxMiss, plis, firs, slowWrites atomic.Uint64
	bitrate, fractionLost, rttMicros, maxLatencyNs                       atomic.Uint64
	lastBytes                                                            uint64 // ticker-owned
}

var _ webrtc.TrackLocal = (*downTrack)(nil)

func newDownTrack(srv *Server, f *feed, codec webrtc.RTPCodecCapability, writer int, est BandwidthEstimator, pin *layerPin) *downTrack {
	d := &downTrack{
		srv: srv, feed: f, kind: f.kind, codec: codec, writer: writer, est: est, pin: pin,
		id: f.kind.String(), streamID: "bidcast",
		needKey: true,
		// A random start makes sequence numbers unpredictable (RFC 3550) and
		// exercises wrap-around in long sessions.
		lastSeq: uint16(rand.Uint32()),
		lastTS:  rand.Uint32(),
	}
	return d
}

// Bind implements webrtc.TrackLocal: it picks the negotiated payload type of
// the feed's codec.
func (d *downTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	for _, c := range ctx.CodecParameters() {
		if codecsCompatible(d.codec, c.RTPCodecCapability) {
			d.ssrc = uint32(ctx.SSRC())
			d.pt = uint8(c.PayloadType)
			d.ws = ctx.WriteStream()
			d.srv.tr.routeSSRC(d.ssrc, d.writer)
			d.bound.Store(true)
			return c, nil
		}
	}
	return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
}

// Unbind implements webrtc.TrackLocal.
func (d *downTrack) Unbind(webrtc.TrackLocalContext) error {
	d.bound.Store(false)
	d.srv.tr.unrouteSSRC(d.ssrc)
	return nil
}

// ID implements webrtc.TrackLocal.
func (d *downTrack) ID() string { return d.id }

// RID implements webrtc.TrackLocal; viewers receive a single layer.
func (d *downTrack) RID() string { return "" }

// StreamID implements webrtc.TrackLocal.
func (d *downTrack) StreamID() string { return d.streamID }

// Kind implements webrtc.TrackLocal.
func (d *downTrack) Kind() webrtc.RTPCodecType { return d.kind }

func (d *downTrack) estimate() uint64 {
	if d.est == nil {
		return 0
	}
	return d.est.Estimate()
}

// close stops forwarding and frees a pending replay.
func (d *downTrack) close() {
	d.closed.Store(true)
	if r := d.replay.Swap(nil); r != nil {
		r.release()
	}
}

// writeLive is called by the writer goroutine for every packet of the feed.
func (d *downTrack) writeLive(p *packet) {
	if d.closed.Load() || !d.bound.Load() {
		return
	}
	if r := d.replay.Swap(nil); r != nil {
		d.writeReplay(r)
	}
	d.forward(p)
}

// writeReplay sends a cached group of pictures ahead of the live packets.
// Cached packets are old by design; they must not count as forwarding
// latency.
func (d *downTrack) writeReplay(r *replay) {
	d.replaying = true
	if r.squeeze {
		d.squeeze, d.squeezeBase = squeezedTimestamps(r.pkts)
	}
	for _, rp := range r.pkts {
		d.forward(rp)
	}
	r.release()
	if d.squeeze != nil && len(d.sqPending) > 0 {
		d.mapMu.Lock()
		d.sqStart, d.sqTS = d.sqPendingStart, d.sqPending
		d.mapMu.Unlock()
	}
	d.replaying, d.squeeze, d.sqPending = false, nil, nil
}

// recordSqueezed remembers the timestamp a squeezed replay sent with seq,
// for retransmissions. Replayed packets may come out of sequence order (a
// publisher's retransmission is cached where it arrived); a number never
// sent takes its predecessor's timestamp.
func (d *downTrack) recordSqueezed(seq uint16, ts uint32) {
	if len(d.sqPending) == 0 {
		d.sqPendingStart = seq
	}
	i := int(int16(seq - d.sqPendingStart))
	if i < 0 {
		return // before the keyframe start: forward never sends those
	}
	for len(d.sqPending) <= i {
		fill := ts
		if n := len(d.sqPending); n > 0 {
			fill = d.sqPending[n-1]
		}
		d.sqPending = append(d.sqPending, fill)
	}
	d.sqPending[i] = ts
}

// forward decides whether p goes to this viewer and rewrites it if so.
func (d *downTrack) forward(p *packet) {
	if d.congested.Swap(false) && !d.needKey {
		// Drop the rest of this frame and everything up to the next
		// keyframe: sending a partial frame would only waste bandwidth.
		d.needKey = true
		if t := d.target.Load(); t != nil {
			t.requestKeyframe()
		}
	}
	src := p.src
	if src != d.src || d.needKey {
		if !p.kfStart || (src != d.src && src != d.target.Load()) {
			if src == d.src {
				d.st.dropped.Add(1)
			}
			return
		}
		d.resync(p, src == d.src && d.started)
		d.src, d.needKey, d.started = src, false, true
	} else if int16(p.seq-d.epochPub) < 0 {
		return // older than the current epoch: its number would collide
	}
	d.write(p)
}

// resync chooses new offsets so that p directly follows the last packet
// sent. Within one source the timestamp offset is kept (the clock is the
// same); for a new source it advances by the wall time elapsed.
func (d *downTrack) resync(p *packet, sameSource bool) {
	seqOff := d.lastSeq + 1 - p.seq
	var tsOff uint32
	switch {
	case sameSource:
		tsOff = d.tsOffset
	case !d.started:
		tsOff = d.lastTS - p.ts
	default:
		elapsed := p.recv - d.lastRecv
		ticks := uint32(1)
		if elapsed > 0 {
			ticks = max(uint32(uint64(elapsed)*uint64(src0(d.codec.ClockRate))/1e9), 1)
		}
		tsOff = d.lastTS + ticks - p.ts
	}
	d.epochPub = p.seq
	d.mapMu.Lock()
	d.mapSrc, d.seqOffset, d.tsOffset, d.epochSub = p.src, seqOff, tsOff, p.seq+seqOff
	d.sqTS = nil
	d.mapMu.Unlock()
}

func src0(clock uint32) uint32 {
	if clock == 0 {
		return 90000
	}
	return clock
}

// write sends p with this viewer's numbering. Only the writer calls it, so
// it reuses one header and allocates nothing.
func (d *downTrack) write(p *packet) {
	h := &d.hdr
	h.Version = 2
	h.PayloadType = d.pt
	h.SSRC = d.ssrc
	h.SequenceNumber = p.seq + d.seqOffset
	h.Timestamp = p.ts + d.tsOffset
	if d.squeeze != nil {
		h.Timestamp = d.squeezeBase + d.tsOffset + d.squeeze[p.ts]
		d.recordSqueezed(h.SequenceNumber, h.Timestamp)
	}
	h.Marker = p.marker
	h.Padding = p.padding
	queued := d.srv.tr.queued(d.writer)
	start := d.srv.now()
	if err := d.send(h, p.Payload()); err != nil {
		d.st.dropped.Add(1)
		return
	}
	end := d.srv.now()
	if end-start > int64(d.srv.cfg.SlowWrite) && d.srv.tr.queued(d.writer) == queued {
		// A write that blocks (an ICE-TCP viewer with a full window) holds
		// up every viewer of this writer: skip this viewer to its next
		// keyframe so that it stops costing the others. A write that only
		// went into the writer's UDP batch cannot block; if it took long,
		// the writer was descheduled (a busy machine), which is no fault
		// of this viewer and no reason to ask the publisher for a keyframe.
		d.needKey = true
		d.st.slowWrites.Add(1)
		if t := d.target.Load(); t != nil {
			t.requestKeyframe()
		}
	}
	if int16(h.SequenceNumber-d.lastSeq) > 0 {
		d.lastSeq = h.SequenceNumber
	}
	if int32(h.Timestamp-d.lastTS) > 0 || p.recv > d.lastRecv {
		d.lastTS, d.lastRecv = h.Timestamp, p.recv
	}
	d.st.packets.Add(1)
	d.st.bytes.Add(uint64(p.n - p.payload))
	if d.replaying {
		return
	}
	if !d.srStarted || int32(h.Timestamp-d.srLastTS) > 0 {
		d.srStarted, d.srLastTS = true, h.Timestamp
		d.srMu.Lock()
		d.srRef.ts, d.srRef.at, d.srRef.set = h.Timestamp, p.recv, true
		d.srMu.Unlock()
	}
	lat := end - p.recv
	if uint64(lat) > d.st.maxLatencyNs.Load() {
		d.st.maxLatencyNs.Store(uint64(lat))
	}
	if lat > int64(d.srv.cfg.LatencyWarn) {
		d.srv.warnLatency(lat)
	}
}

// retransmit answers a viewer's NACK for its sequence number subSeq from
// the publisher track's shared buffer.
func (d *downTrack) retransmit(subSeq uint16) {
	d.mapMu.Lock()
	src, seqOff, tsOff, epoch := d.mapSrc, d.seqOffset, d.tsOffset, d.epochSub
	var squeezed, sqTS = false, uint32(0)
	if i := int(subSeq - d.sqStart); i < len(d.sqTS) {
		squeezed, sqTS = true, d.sqTS[i]
	}
	d.mapMu.Unlock()
	if src == nil || int16(subSeq-epoch) < 0 || d.closed.Load() {
		d.st.rtxMiss.Add(1)
		return
	}
	p := src.nack.get(subSeq - seqOff)
	if p == nil {
		d.st.rtxMiss.Add(1)
		return
	}
	defer p.release()
	d.rtxMu.Lock()
	defer d.rtxMu.Unlock()
	h := &d.rtxHdr
	h.Version, h.PayloadType, h.SSRC = 2, d.pt, d.ssrc
	h.SequenceNumber, h.Timestamp, h.Marker, h.Padding = subSeq, p.ts+tsOff, p.marker, p.padding
	if squeezed {
		h.Timestamp = sqTS
	}
	if err := d.send(h, p.Payload()); err == nil {
		d.st.rtx.Add(1)
	}
}

// send writes one packet to the viewer: directly when the track has the
// direct path, else through Pion's chain.
func (d *downTrack) send(h *rtp.Header, payload []byte) error {
	if x := d.direct.Load(); x != nil {
		return x.write(d.srv.tr.batch, d.writer, h, payload)
	}
	_, err := d.ws.WriteRTP(h, payload)
	return err
}
