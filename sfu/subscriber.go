package sfu

import (
	"context"
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"
)

// Subscribe makes the sender of offerSDP (a recvonly offer) a viewer of
// roomID and returns the SDP answer and the session ID. It fails with
// ErrNotLive when the room has no publisher, and with a *CodecMismatchError
// (ErrCodecMismatch) when the viewer cannot decode what the publisher sends.
// Media starts once ICE and DTLS connect: from the cached group of pictures
// (see Config.KeyframeCacheMaxAge), or, when none is cached, from a keyframe
// requested from the publisher.
func (srv *Server) Subscribe(ctx context.Context, roomID, offerSDP string, opts ...SessionOption) (answer, sessionID string, err error) {
	offer, err := parseSDP(offerSDP)
	if err != nil {
		return "", "", err
	}
	// A room published on another node is relayed here first (relay.go).
	defer srv.ensureRelay(ctx, roomID)()
	srv.mu.Lock()
	r, ok := srv.rooms[roomID]
	live := ok && r.publisher != nil
	var since time.Time
	var pub *session
	if live {
		since, pub = r.liveSince, r.publisher
	}
	srv.mu.Unlock()
	if !live {
		return "", "", ErrNotLive
	}
	waitForMedia(ctx, r, pub.sentKinds(), since.Add(srv.cfg.mediaWait))
	published := map[webrtc.RTPCodecType]codecInfo{}
	for _, f := range []*feed{r.video, r.audio} {
		if ci := f.codecInfo(); ci != nil {
			published[f.kind] = *ci
		}
	}
	if err := checkViewerCodecs(offer, published); err != nil {
		return "", "", err
	}
	var o sessionOptions
	for _, opt := range opts {
		opt(&o)
	}
	// The keyframe the viewer will start from is asked for now, while it
	// negotiates, of the layer attach will choose for it (the top one: a new
	// viewer has no bandwidth estimate yet; a relay's pinned one).
	if ci, ok := published[webrtc.RTPCodecTypeVideo]; ok {
		layers := compatibleLayers(r.video.currentLayers(), ci.cap)
		l := chooseLayer(layers, 0)
		if p := o.pin; p != nil && len(layers) > 0 {
			l = layers[0]
			if !p.lowest {
				l = layerByRID(layers, p.rid)
				if l == nil {
					return "", "", fmt.Errorf("%w: no simulcast layer %q", ErrNotLive, p.rid)
				}
			}
		}
		if l != nil {
			l.prefetchKeyframe()
		}
	}
	var kinds []*feed
	for _, f := range []*feed{r.video, r.audio} {
		if _, ok := published[f.kind]; ok && hasReceivingMedia(offer, f.kind.String()) {
			kinds = append(kinds, f)
		}
	}
	if len(kinds) == 0 {
		return "", "", fmt.Errorf("%w: the offer receives none of the room's media", ErrBadOffer)
	}

	pc, err := srv.newPeerConnection()
	if err != nil {
		return "", "", err
	}
	s := &session{id: newSessionID(), srv: srv, room: r, pc: pc, opts: o}
	srv.mu.Lock()
	if srv.rooms[roomID] != r {
		srv.mu.Unlock()
		_ = pc.Close()
		return "", "", ErrNotLive
	}
	err = srv.addSessionLocked(s)
	srv.mu.Unlock()
	if err != nil {
		_ = pc.Close()
		return "", "", err
	}

	s.watchState()
	writer := srv.pickWriter()
	addTracks := func() error {
		for _, f := range kinds {
			var est BandwidthEstimator
			var pin *layerPin
			switch {
			case f.kind != webrtc.RTPCodecTypeVideo:
			case o.pin != nil:
				pin = o.pin
			default:
				est = srv.newEstimator()
			}
			dt := newDownTrack(srv, f, published[f.kind].cap, writer, est, pin)
			sender, err := pc.AddTrack(dt)
			if err != nil {
				return fmt.Errorf("add %s track: %w", f.kind, err)
			}
			dt.sender = sender
			s.mu.Lock()
			s.downs = append(s.downs, dt)
			s.mu.Unlock()
			srv.wg.Add(1)
			go dt.rtcpLoop(sender)
		}
		return nil
	}
	answer, err = negotiate(ctx, pc, offerSDP, s.opts.onCandidate != nil, addTracks)
	if err != nil {
		s.close()
		return "", "", err
	}
	srv.log.Debug("sfu subscriber joined", "room", roomID, "session", s.id)
	return answer, s.id, nil
}

// waitForMedia waits, briefly, until every kind the publisher announced
// (sends, from its negotiation; while that is under way, every kind a
// publisher of the room ever announced) has a stream. The answer lists
// every codec both sides support, and only the first RTP packet tells which
// one the publisher really sends; a viewer arriving in that window would
// otherwise negotiate the wrong codec. It never waits past deadline
// (Config.mediaWait, 3 s, after the publisher joined), so a publisher that
// announced audio but never sends any delays nobody later; one that sends
// video only (or a relay of such a room) delays nobody at all.
func waitForMedia(ctx context.Context, r *room, sends []webrtc.RTPCodecType, deadline time.Time) {
	feeds := []*feed{r.video, r.audio}
	if sends != nil {
		feeds = feeds[:0]
		for _, k := range sends {
			feeds = append(feeds, r.feed(k))
		}
	}
	for {
		ready := true
		for _, f := range feeds {
			if f.codecInfo() != nil && len(f.currentLayers()) == 0 {
				ready = false
			}
		}
		if ready || time.Now().After(deadline) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (srv *Server) newEstimator() BandwidthEstimator {
	if srv.cfg.NewEstimator != nil {
		return srv.cfg.NewEstimator()
	}
	return newLossEstimator()
}
