package sfu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// The life of one relay (see relay.go): its goroutine keeps it connected to
// the room's current origin while local viewers remain, and the WHEP
// exchange with the origin.

// relayTick is how often a relay checks its viewers, its upstream and the
// origin's location.
const relayTick = 250 * time.Millisecond

// relayQuiet is how long a relay's upstream may send nothing before the
// relay looks for the origin at every tick (else once a second).
const relayQuiet = 2 * relayTick

// runRelay connects the relay, keeps it connected to the room's current
// origin while local viewers remain, and releases it linger after the
// last one leaves (or when a real publisher takes the room here).
func (srv *Server) runRelay(l *relayLink, rl *relay) {
	defer srv.wg.Done()
	defer l.forget(rl)
	// base ends when the server closes, so no request to an origin holds
	// up Close.
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	exit := make(chan struct{})
	defer close(exit)
	srv.wg.Add(1)
	go func() {
		defer srv.wg.Done()
		select {
		case <-srv.done:
			cancelBase()
		case <-exit:
		}
	}()
	readyOnce := sync.Once{}
	ready := func() { readyOnce.Do(func() { close(rl.ready) }) }
	defer ready()
	// Whatever ends the relay ends its extra layers; the paths that tell
	// the origin have done so already.
	defer srv.closeLayers(l, rl, false)
	var url string
	lastViewer := time.Now()
	lastLocate := time.Time{}
	// The upstream's packet count and when it last moved: a relay whose
	// origin went quiet (it died, or its publisher left for another node)
	// looks for the origin at every tick instead of every second.
	var seen uint64
	var lastMedia time.Time
	t := time.NewTicker(relayTick)
	defer t.Stop()
	for {
		viewers, displaced := srv.relayRoomState(l, rl)
		now := time.Now()
		if viewers > 0 {
			lastViewer = now
		}
		if displaced || l.isGone(rl) {
			return // a real publisher is here now
		}
		idle := now.Sub(lastViewer) > l.linger
		sess := l.session(rl)
		alive := sess != nil && srv.hasSession(sess.id)
		quiet := false
		if alive {
			if n := sess.packetsIn(); n != seen || lastMedia.IsZero() {
				seen, lastMedia = n, now
			}
			quiet = now.Sub(lastMedia) >= relayQuiet
		}
		switch {
		case idle:
			if alive {
				srv.log.Info("sfu relay released", "room", rl.roomID, "origin", url)
				srv.closeLayers(l, rl, true)
				srv.closeRelay(l, rl, sess, url)
			}
			return
		case !alive || quiet || now.Sub(lastLocate) >= time.Second:
			lastLocate = now
			ctx, cancel := context.WithTimeout(base, 3*time.Second)
			next, ok, err := l.c.Locate(ctx, rl.roomID)
			switch {
			case err != nil:
				srv.log.Warn("sfu relay: locating the origin failed", "room", rl.roomID, "err", err)
			case !ok && !alive:
				// Nobody publishes the room (yet): the first viewer hears
				// "not live"; later ones keep waiting for a publisher.
				ready()
			case ok && (!alive || next != url):
				if next != url {
					srv.closeLayers(l, rl, true) // they come from the old origin
				}
				if alive {
					srv.log.Info("sfu relay: origin moved", "room", rl.roomID, "from", url, "to", next)
					srv.closeRelay(l, rl, sess, url)
				}
				if err := srv.connectRelay(ctx, l, rl, next); err != nil {
					// An origin whose publisher just left is routine (its
					// record lapses within seconds); anything else is not.
					level := slog.LevelWarn
					if errors.Is(err, ErrNotLive) {
						level = slog.LevelDebug
					}
					srv.log.Log(ctx, level, "sfu relay: subscribing to the origin failed", "room", rl.roomID,
						"origin", next, "err", err)
				} else {
					url = next
					srv.log.Info("sfu relay connected", "room", rl.roomID, "origin", next)
				}
				ready()
			}
			cancel()
		}
		if sess := l.session(rl); sess != nil && url != "" && srv.hasSession(sess.id) {
			ctx, cancel := context.WithTimeout(base, 3*time.Second)
			srv.syncLayers(ctx, l, rl, url, now)
			cancel()
		}
		select {
		case <-srv.done:
			return
		case <-t.C:
		}
	}
}

// relayRoomState returns the room's local viewers (joined or joining) and
// whether a publisher other than the relay holds the room.
func (srv *Server) relayRoomState(l *relayLink, rl *relay) (viewers int, displaced bool) {
	l.mu.Lock()
	sess, pending := rl.sess, rl.pending
	l.mu.Unlock()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	r, ok := srv.rooms[rl.roomID]
	if !ok {
		return pending, false
	}
	return len(r.subscribers) + pending, r.publisher != nil && r.publisher != sess
}

func (l *relayLink) isGone(rl *relay) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return rl.gone
}

func (l *relayLink) session(rl *relay) *session {
	l.mu.Lock()
	defer l.mu.Unlock()
	return rl.sess
}

func (srv *Server) hasSession(id string) bool {
	_, err := srv.session(id)
	return err == nil
}

// connectRelay subscribes to the origin at whepURL and makes the peer the
// room's publisher here. It carries the room's audio and the lowest video
// layer; other layers come in sessions of their own (relaylayers.go).
func (srv *Server) connectRelay(ctx context.Context, l *relayLink, rl *relay, whepURL string) error {
	token := l.c.RelayToken(rl.roomID)
	if token == "" {
		return errors.New("relaying is off (no cluster secret)")
	}
	pc, ans, err := srv.dialOrigin(ctx, l, whepURL, token, webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio)
	if err != nil {
		return err
	}
	s := &session{id: newSessionID(), srv: srv, publish: true, pc: pc}
	rl.catalog = ans.layers
	if len(ans.layers) > 1 {
		s.relayLayer = &relayedLayer{rid: ans.layers[0].rid, rank: 1, bitrate: ans.layers[0].bitrate}
	}
	s.opts.onClose = func() { l.c.MediaChanged(rl.roomID, true, false) }
	// Only the kinds the origin sends: it answers a kind its publisher
	// lacks (the relay offers both) without a track, and viewers here must
	// not wait for it (waitForMedia).
	sends := sendingKinds(ans.desc, true)
	s.setSends(sends)
	// Registered as the room's publisher and as the relay's session under
	// both locks (server, then link), so MediaLoad and a publisher
	// arriving here never see one without the other.
	srv.mu.Lock()
	s.room = srv.roomLocked(rl.roomID)
	l.mu.Lock()
	switch {
	case rl.gone:
		err = ErrPublisherExists
	case s.room.publisher != nil:
		err = ErrPublisherExists
	default:
		if err = srv.addSessionLocked(s); err == nil {
			rl.sess, rl.loc = s, ans.location
		}
	}
	l.mu.Unlock()
	if err != nil && len(s.room.subscribers) == 0 && s.room.publisher == nil && srv.rooms[rl.roomID] == s.room {
		delete(srv.rooms, rl.roomID)
	}
	srv.mu.Unlock()
	if err != nil {
		_ = pc.Close()
		l.deleteUpstream(whepURL, ans.location, token)
		return err
	}
	codecs := mediaCodecs(ans.desc)
	for _, kind := range sends {
		if list := codecs[kind]; len(list) > 0 {
			s.room.feed(kind).setCodec(codecInfo{cap: list[0], kind: kind})
		}
	}
	pc.OnTrack(func(remote *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { s.onTrack(remote) })
	s.watchState()
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: ans.sdp}); err != nil {
		s.close()
		l.deleteUpstream(whepURL, ans.location, token)
		return fmt.Errorf("%w: origin's answer: %v", ErrBadOffer, err)
	}
	l.c.MediaChanged(rl.roomID, true, true)
	return nil
}

// originAnswer is what the origin answered a relay's offer.
type originAnswer struct {
	sdp, location string
	desc          *sdp.SessionDescription
	layers        []layerInfo // the origin's video layers (Bidcast-Layers), low to high
}

// dialOrigin makes a peer that receives kinds, offers it to the origin at
// whepURL with the relay bearer and returns it with the origin's answer,
// not yet applied. On error nothing is left open.
func (srv *Server) dialOrigin(ctx context.Context, l *relayLink, whepURL, token string, kinds ...webrtc.RTPCodecType) (*webrtc.PeerConnection, originAnswer, error) {
	var ans originAnswer
	pc, err := l.newRelayPeer()
	if err != nil {
		return nil, ans, err
	}
	fail := func(err error) (*webrtc.PeerConnection, originAnswer, error) {
		_ = pc.Close()
		return nil, ans, err
	}
	for _, kind := range kinds {
		if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			return fail(fmt.Errorf("add %s transceiver: %w", kind, err))
		}
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return fail(fmt.Errorf("create offer: %w", err))
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return fail(fmt.Errorf("set local description: %w", err))
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return fail(fmt.Errorf("gather ICE candidates: %w", ctx.Err()))
	}
	ans, err = l.post(ctx, whepURL, token, pc.LocalDescription().SDP)
	if err != nil {
		return fail(err)
	}
	if ans.desc, err = parseSDP(ans.sdp); err != nil {
		l.deleteUpstream(whepURL, ans.location, token)
		return fail(err)
	}
	return pc, ans, nil
}

// closeRelay ends the relay session and tells the origin.
func (srv *Server) closeRelay(l *relayLink, rl *relay, sess *session, whepURL string) {
	l.mu.Lock()
	if rl.sess == sess {
		rl.sess = nil
	}
	l.mu.Unlock()
	sess.close()
	l.deleteUpstream(whepURL, rl.loc, l.c.RelayToken(rl.roomID))
}

// post sends the relay's offer to the origin's WHEP endpoint.
func (l *relayLink) post(ctx context.Context, whepURL, token, offer string) (originAnswer, error) {
	var ans originAnswer
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, whepURL, strings.NewReader(offer))
	if err != nil {
		return ans, fmt.Errorf("relay request: %w", err)
	}
	req.Header.Set("Content-Type", "application/sdp")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := l.client.Do(req)
	if err != nil {
		return ans, fmt.Errorf("relay offer to %s: %w", whepURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxSDPBytes))
	if err != nil {
		return ans, fmt.Errorf("read the origin's answer: %w", err)
	}
	if resp.StatusCode != http.StatusCreated {
		msg := strings.TrimSpace(string(bytes.ToValidUTF8(body, nil)))
		if resp.StatusCode == http.StatusNotFound {
			return ans, fmt.Errorf("%w: origin %s: %s", ErrNotLive, whepURL, msg)
		}
		return ans, fmt.Errorf("origin %s answered %d: %s", whepURL, resp.StatusCode, msg)
	}
	ans.sdp, ans.location = string(body), resp.Header.Get("Location")
	ans.layers = parseLayers(resp.Header.Get(layersHeader))
	return ans, nil
}

// deleteUpstream ends a session the origin made for a relay that is not
// used after all (best effort: the origin also ends it when ICE fails).
func (l *relayLink) deleteUpstream(whepURL, location, token string) {
	if location == "" {
		return
	}
	base := whepURL
	if i := strings.Index(base, "/whep/"); i >= 0 {
		base = base[:i]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, base+location, nil)
	if err != nil {
		return
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if resp, err := l.client.Do(req); err == nil {
		_ = resp.Body.Close()
	}
}
