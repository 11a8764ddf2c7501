package sfu

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
)

// Server is the SFU: it owns the shared ICE sockets, the writer pool, the
// rooms and every WebRTC session. All methods are safe for concurrent use.
type Server struct {
	cfg   Config
	log   *slog.Logger
	tr    *transport
	epoch time.Time

	writers  []*writer
	writerWG sync.WaitGroup
	nextW    atomic.Uint32

	mu       sync.Mutex
	closed   bool
	rooms    map[string]*room
	sessions map[string]*session
	// viewers and publishers count the sessions of each kind, for the
	// caps in Config.
	viewers, publishers int
	// relayLink, set by SetCluster, relays rooms from other nodes.
	relayLink *relayLink

	// wg counts every goroutine that is not a writer: track readers, RTCP
	// readers, the stats ticker and asynchronous session closes.
	wg   sync.WaitGroup
	done chan struct{}

	lastWarn atomic.Int64
}

// New validates cfg, opens the ICE sockets and starts the writer pool.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tr, err := newTransport(&cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, log: cfg.Logger, tr: tr, epoch: time.Now(),
		rooms: map[string]*room{}, sessions: map[string]*session{},
		done: make(chan struct{}),
	}
	s.writers = make([]*writer, cfg.Writers)
	for i := range s.writers {
		w := &writer{ch: make(chan writeJob, cfg.WriterQueue), id: i, tr: tr, now: s.now}
		s.writers[i] = w
		s.writerWG.Add(1)
		go func() {
			defer s.writerWG.Done()
			w.run()
		}()
	}
	s.wg.Add(2)
	go s.tickLoop()
	go s.reportLoop()
	return s, nil
}

// Close ends every session and stops every goroutine the server started.
// It waits for them, so nothing of the server runs after it returns.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	sessions := make([]*session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		sessions = append(sessions, sess)
	}
	s.mu.Unlock()
	close(s.done)
	for _, sess := range sessions {
		sess.close()
	}
	s.wg.Wait()
	// Readers are gone, so nobody sends to the writers any more.
	for _, w := range s.writers {
		close(w.ch)
	}
	s.writerWG.Wait()
	return s.tr.close()
}

// ICEUDPAddr returns the address of the shared ICE UDP socket (useful when
// Config.ICEUDPAddr asked for port 0).
func (s *Server) ICEUDPAddr() net.Addr { return s.tr.udpConn.LocalAddr() }

// ICETCPAddr returns the address ICE-TCP listens on, or nil when it is off.
func (s *Server) ICETCPAddr() net.Addr {
	if s.tr.tcpLn == nil {
		return nil
	}
	return s.tr.tcpLn.Addr()
}

// ICEServers returns the STUN/TURN servers a client should use: the
// configured ones and, with Config.TURN, the TURN servers with a credential
// minted for this call, valid for Config.TURN.TTL. Hand it only to a client
// allowed to publish or watch: the credential lets its holder relay through
// the TURN server.
func (s *Server) ICEServers() []ICEServer {
	if !s.cfg.TURN.enabled() {
		return s.cfg.ICEServers
	}
	out := make([]ICEServer, 0, len(s.cfg.ICEServers)+1)
	out = append(out, s.cfg.ICEServers...)
	return append(out, s.cfg.TURN.mint())
}

// publicICEServers returns the configured servers without minting, for
// requests nobody was authorized for (a CORS preflight).
func (s *Server) publicICEServers() []ICEServer { return s.cfg.ICEServers }

// now is a monotonic clock in nanoseconds, cheap enough for every packet.
func (s *Server) now() int64 { return int64(time.Since(s.epoch)) }

// warnLatency logs slow forwarding at most once per LatencyWarnEvery.
func (s *Server) warnLatency(lat int64) {
	now := s.now()
	last := s.lastWarn.Load()
	if last != 0 && now-last < int64(s.cfg.LatencyWarnEvery) {
		return
	}
	if s.lastWarn.CompareAndSwap(last, now) {
		s.log.Warn("sfu forwarding latency above threshold",
			"latency", time.Duration(lat), "threshold", s.cfg.LatencyWarn)
	}
}

// goAsync runs fn on a goroutine counted in wg, unless the server has
// finished closing; used from Pion callbacks that must not block.
func (s *Server) goAsync(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.done:
		// Close is waiting on wg; it closes the sessions itself.
		return
	default:
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		fn()
	}()
}

// pickWriter spreads viewers over the writer pool round-robin.
func (s *Server) pickWriter() int {
	return int(s.nextW.Add(1)) % len(s.writers)
}

func newSessionID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// newPeerConnection creates a peer on the shared API.
func (s *Server) newPeerConnection() (*webrtc.PeerConnection, error) {
	pc, err := s.tr.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("new peer connection: %w", err)
	}
	return pc, nil
}

// negotiate applies a remote offer and returns the local answer. Without a
// candidate handler it waits for ICE gathering so the answer is complete.
func negotiate(ctx context.Context, pc *webrtc.PeerConnection, offer string, trickle bool,
	beforeAnswer func() error) (string, error) {
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadOffer, err)
	}
	if beforeAnswer != nil {
		if err := beforeAnswer(); err != nil {
			return "", err
		}
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("%w: create answer: %v", ErrBadOffer, err)
	}
	var gathered <-chan struct{}
	if !trickle {
		gathered = webrtc.GatheringCompletePromise(pc)
	}
	if err := pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("%w: set local description: %v", ErrBadOffer, err)
	}
	if gathered != nil {
		select {
		case <-gathered:
		case <-ctx.Done():
			return "", fmt.Errorf("gather ICE candidates: %w", ctx.Err())
		}
	}
	return pc.LocalDescription().SDP, nil
}
