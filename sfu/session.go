package sfu

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/pion/webrtc/v4"
)

// SessionOption customises Publish and Subscribe.
type SessionOption func(*sessionOptions)

type sessionOptions struct {
	onCandidate func(webrtc.ICECandidateInit)
	onClose     func()
	pin         *layerPin // a relay's video layer (withLayerPin)
}

// withLayerPin fixes the video layer a viewer session receives: another
// node's relay asks for one layer (relaylayers.go).
func withLayerPin(p *layerPin) SessionOption {
	return func(o *sessionOptions) { o.pin = p }
}

// WithICECandidateHandler enables trickle ICE: the answer is returned at
// once and each local candidate is passed to fn as it is found (then a
// final call is not made; end of candidates is implicit). Use it from the
// WebSocket gateway; WHIP/WHEP clients get complete answers instead.
func WithICECandidateHandler(fn func(webrtc.ICECandidateInit)) SessionOption {
	return func(o *sessionOptions) { o.onCandidate = fn }
}

// WithCloseHandler calls fn once when the session ends for any reason
// (CloseSession, ICE failure, the publisher leaving, server shutdown).
func WithCloseHandler(fn func()) SessionOption {
	return func(o *sessionOptions) { o.onClose = fn }
}

// session is one WebRTC peer: a room's publisher or one of its viewers.
type session struct {
	id      string
	srv     *Server
	room    *room
	publish bool
	pc      *webrtc.PeerConnection
	opts    sessionOptions
	// relayLayer, for a relay's session, names the origin's video layer
	// its video track carries (relaylayers.go).
	relayLayer *relayedLayer

	closeOnce  sync.Once
	attachOnce sync.Once
	// reporting is set while the session's sender reports are written
	// (senderreport.go).
	reporting atomic.Bool

	mu     sync.Mutex   // guards downs, tracks and sends
	downs  []*downTrack // viewer's tracks
	tracks []*pubTrack  // publisher's incoming streams
	// sends, for a publisher (or a relay's session), are the kinds its
	// negotiation says it sends; nil until that negotiation is done.
	sends []webrtc.RTPCodecType
}

// setSends records the kinds a publisher's negotiation says it sends.
func (s *session) setSends(kinds []webrtc.RTPCodecType) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sends = kinds
}

// sentKinds returns the kinds set by setSends, or nil before.
func (s *session) sentKinds() []webrtc.RTPCodecType {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sends
}

func (s *session) kindName() string {
	if s.publish {
		return "publisher"
	}
	return "subscriber"
}

// watchState ends the session when its peer fails or closes and, for a
// viewer, joins the fan-out once media can flow.
func (s *session) watchState() {
	s.pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		switch st {
		case webrtc.PeerConnectionStateConnected:
			if !s.publish {
				s.attachOnce.Do(s.attach)
			}
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			// Closing inside a Pion callback could deadlock Pion.
			s.srv.goAsync(s.close)
		}
	})
	if s.opts.onCandidate != nil {
		s.pc.OnICECandidate(func(c *webrtc.ICECandidate) {
			if c != nil {
				s.opts.onCandidate(c.ToJSON())
			}
		})
	}
}

// attach starts forwarding to a connected viewer.
func (s *session) attach() {
	downs := s.downTracks()
	if err := s.setupDirect(downs); err != nil {
		s.srv.log.Warn("sfu direct SRTP path unavailable, using Pion's", "session", s.id, "err", err)
	}
	for _, dt := range downs {
		if !dt.closed.Load() {
			dt.feed.attach(dt)
		}
	}
}

// close tears the session down exactly once.
func (s *session) close() {
	s.closeOnce.Do(func() {
		s.srv.removeSession(s)
		for _, dt := range s.downTracks() {
			dt.feed.detach(dt)
			dt.close()
		}
		// Closing the peer ends the track readers and RTCP loops, which
		// release their buffers on the way out.
		if err := s.pc.Close(); err != nil {
			s.srv.log.Debug("close peer connection", "session", s.id, "err", err)
		}
		// A publisher leaving is an event of the show; a viewer leaving
		// is routine (there may be thousands).
		level := slog.LevelDebug
		if s.publish {
			level = slog.LevelInfo
		}
		s.srv.log.Log(context.Background(), level, "sfu session closed", "room", s.room.id, "session", s.id, "role", s.kindName())
		if s.opts.onClose != nil {
			s.opts.onClose()
		}
	})
}

func (srv *Server) session(id string) (*session, error) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	s, ok := srv.sessions[id]
	if !ok {
		return nil, ErrSessionNotFound
	}
	return s, nil
}

// SessionRoom returns the room a live session belongs to and whether it is
// the publisher, so a gateway or HTTP layer can check ownership.
func (srv *Server) SessionRoom(sessionID string) (roomID string, publisher bool, err error) {
	s, err := srv.session(sessionID)
	if err != nil {
		return "", false, err
	}
	return s.room.id, s.publish, nil
}

// AddICECandidate adds a remote candidate trickled by the client.
func (srv *Server) AddICECandidate(sessionID string, c webrtc.ICECandidateInit) error {
	s, err := srv.session(sessionID)
	if err != nil {
		return err
	}
	if err := s.pc.AddICECandidate(c); err != nil {
		return fmt.Errorf("%w: add ICE candidate: %v", ErrBadOffer, err)
	}
	return nil
}

// Renegotiate applies a new offer from the client to an existing session
// (for example a publisher adding audio, or an ICE restart) and returns the
// answer. New publisher tracks join the room's feeds when their media
// arrives; a viewer's set of tracks is fixed at Subscribe.
func (srv *Server) Renegotiate(ctx context.Context, sessionID, offer string) (string, error) {
	s, err := srv.session(sessionID)
	if err != nil {
		return "", err
	}
	if _, err := parseSDP(offer); err != nil {
		return "", err
	}
	return negotiate(ctx, s.pc, offer, s.opts.onCandidate != nil, nil)
}

// CloseSession ends a publisher or viewer session.
func (srv *Server) CloseSession(sessionID string) error {
	s, err := srv.session(sessionID)
	if err != nil {
		return err
	}
	s.close()
	return nil
}

func (s *session) downTracks() []*downTrack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*downTrack(nil), s.downs...)
}

func (s *session) pubTracks() []*pubTrack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*pubTrack(nil), s.tracks...)
}
