package sfu

import (
	"sort"
	"time"
)

// RoomStats is a snapshot of one room for metrics and debugging.
type RoomStats struct {
	RoomID      string
	Publisher   *PublisherStats // nil while the room has no publisher
	Subscribers []SubscriberStats
}

// PublisherStats describes a room's publisher.
type PublisherStats struct {
	SessionID string
	Tracks    []TrackStats
}

// TrackStats describes one incoming stream (a simulcast layer or audio).
type TrackStats struct {
	Kind           string // "video" or "audio"
	Codec          string // MIME type, e.g. "video/H264"
	RID            string // simulcast layer, "" without simulcast
	SSRC           uint32
	Packets        uint64
	Bytes          uint64
	BitrateBps     uint64 // over the last Config.StatsInterval
	Lost           uint64 // sequence gaps seen (before retransmission)
	Keyframes      uint64
	KeyframeAsks   uint64 // keyframe requests from viewers and the SFU
	PLIsSent       uint64 // requests actually sent, after throttling
	SubscriberRefs int    // viewers currently targeting this layer
	// SendDelay is the time from a packet's read to the end of the
	// sendmmsg that carried it to its writer shard's last viewer, by
	// position in the frame, since the track started (video only; see
	// senddelay.go).
	SendDelay []SendDelayStats `json:",omitempty"`
}

// SubscriberStats describes one viewer.
type SubscriberStats struct {
	SessionID string
	Tracks    []DownTrackStats
}

// DownTrackStats describes what one viewer receives of one kind.
type DownTrackStats struct {
	Kind             string
	Layer            string // RID of the layer being sent
	Packets          uint64
	Bytes            uint64
	BitrateBps       uint64
	Dropped          uint64 // skipped for congestion or while waiting for a keyframe
	SlowWrites       uint64 // writes that blocked longer than Config.SlowWrite
	NACKs            uint64 // sequence numbers the viewer asked for
	Retransmitted    uint64
	RetransmitMisses uint64 // NACKs the buffer could not serve
	PLIs             uint64
	FIRs             uint64
	FractionLost     float64 // from the viewer's last receiver report
	RTT              time.Duration
	EstimateBps      uint64 // bandwidth estimate, 0 if unknown
	MaxLatency       time.Duration
}

// Stats returns a snapshot of every room, sorted by room ID. It takes no
// lock on the media path.
func (srv *Server) Stats() []RoomStats {
	srv.mu.Lock()
	type roomRef struct {
		r    *room
		pub  *session
		subs []*session
	}
	refs := make([]roomRef, 0, len(srv.rooms))
	for _, r := range srv.rooms {
		ref := roomRef{r: r, pub: r.publisher}
		for _, s := range r.subscribers {
			ref.subs = append(ref.subs, s)
		}
		refs = append(refs, ref)
	}
	srv.mu.Unlock()

	out := make([]RoomStats, 0, len(refs))
	for _, ref := range refs {
		rs := RoomStats{RoomID: ref.r.id}
		if ref.pub != nil {
			ps := &PublisherStats{SessionID: ref.pub.id}
			own := map[*pubTrack]bool{}
			for _, t := range ref.pub.pubTracks() {
				own[t] = true
				ps.Tracks = append(ps.Tracks, t.stats())
			}
			// A relay's other layers come in sessions of their own
			// (relaylayers.go).
			for _, t := range ref.r.video.currentLayers() {
				if !own[t] {
					ps.Tracks = append(ps.Tracks, t.stats())
				}
			}
			rs.Publisher = ps
		}
		for _, s := range ref.subs {
			ss := SubscriberStats{SessionID: s.id}
			for _, dt := range s.downTracks() {
				ss.Tracks = append(ss.Tracks, dt.stats())
			}
			rs.Subscribers = append(rs.Subscribers, ss)
		}
		sort.Slice(rs.Subscribers, func(i, j int) bool { return rs.Subscribers[i].SessionID < rs.Subscribers[j].SessionID })
		out = append(out, rs)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].RoomID < out[j].RoomID })
	return out
}

func (t *pubTrack) stats() TrackStats {
	refs := 0
	for _, dt := range t.feed.downTracks() {
		if dt.target.Load() == t {
			refs++
		}
	}
	return TrackStats{
		Kind: t.feed.kind.String(), Codec: t.codec.MimeType, RID: t.rid, SSRC: t.ssrc,
		Packets: t.st.packets.Load(), Bytes: t.st.bytes.Load(), BitrateBps: t.st.bitrate.Load(),
		Lost: t.st.gaps.Load(), Keyframes: t.st.keyframes.Load(), KeyframeAsks: t.st.requests.Load(),
		PLIsSent: t.st.plis.Load(), SubscriberRefs: refs,
		SendDelay: t.delay.snapshot(),
	}
}

func (d *downTrack) stats() DownTrackStats {
	s := DownTrackStats{
		Kind: d.kind.String(), Packets: d.st.packets.Load(), Bytes: d.st.bytes.Load(),
		BitrateBps: d.st.bitrate.Load(), Dropped: d.st.dropped.Load(), SlowWrites: d.st.slowWrites.Load(),
		NACKs:         d.st.nacks.Load(),
		Retransmitted: d.st.rtx.Load(), RetransmitMisses: d.st.rtxMiss.Load(),
		PLIs: d.st.plis.Load(), FIRs: d.st.firs.Load(),
		FractionLost: float64(d.st.fractionLost.Load()) / 1e6,
		RTT:          time.Duration(d.st.rttMicros.Load()) * time.Microsecond,
		EstimateBps:  d.estimate(),
		MaxLatency:   time.Duration(d.st.maxLatencyNs.Load()),
	}
	if t := d.target.Load(); t != nil {
		s.Layer = t.rid
	}
	return s
}

// tickLoop samples bitrates and re-chooses simulcast layers every
// Config.StatsInterval.
func (srv *Server) tickLoop() {
	defer srv.wg.Done()
	tick := time.NewTicker(srv.cfg.StatsInterval)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-srv.done:
			return
		case now := <-tick.C:
			srv.sample(now.Sub(last))
			last = now
		}
	}
}

func (srv *Server) sample(elapsed time.Duration) {
	if elapsed <= 0 {
		return
	}
	srv.mu.Lock()
	rooms := make([]*room, 0, len(srv.rooms))
	for _, r := range srv.rooms {
		rooms = append(rooms, r)
	}
	srv.mu.Unlock()
	rate := func(cur uint64, last *uint64) uint64 {
		d := cur - *last
		*last = cur
		return uint64(float64(d*8) / elapsed.Seconds())
	}
	for _, r := range rooms {
		for _, f := range []*feed{r.video, r.audio} {
			layers := f.currentLayers()
			for _, t := range layers {
				if t.relayRank > 0 && t.st.lastBytes == 0 {
					// A relayed layer keeps the origin's figure until a
					// whole interval is measured here.
					t.st.lastBytes = t.st.bytes.Load()
					continue
				}
				t.st.bitrate.Store(rate(t.st.bytes.Load(), &t.st.lastBytes))
			}
			for _, dt := range f.downTracks() {
				dt.st.bitrate.Store(rate(dt.st.bytes.Load(), &dt.st.lastBytes))
				if len(layers) > 1 {
					f.retarget(dt)
				}
			}
			if len(layers) > 1 {
				f.mu.Lock()
				cur := f.currentLayers()
				sorted := append([]*pubTrack(nil), cur...)
				sortLayers(sorted)
				f.layers.Store(&sorted)
				f.mu.Unlock()
			}
		}
	}
}
