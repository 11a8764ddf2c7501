package sfu

import (
	"context"
	"crypto/subtle"
	"net/http"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// Relay between nodes. A room's media origin is the node its publisher
// reached. Another node (an edge) serves the room's viewers by subscribing
// once to the origin over WHEP, as a Pion peer of its own, and making that
// peer the room's publisher here: its incoming tracks are read, cached and
// fanned out like a publisher's, keyframe requests go up the peer to the
// origin (throttled per track by Config.PLIInterval, and there again to the
// real publisher), and NACKs of local viewers are answered from the edge's
// own retransmission ring (the edge's NACKs upstream are Pion's, answered
// from the origin's). The relay is released Cluster's linger after the last
// local viewer leaves, follows the origin when the publisher moves to
// another node, and gives way to a real publisher that reaches this node.
//
// The origin receives the relay as one WHEP viewer per simulcast layer the
// edge's viewers need (relaylayers.go), so its cost grows with the number
// of edges and layers in use, not of viewers.

// Cluster is what the SFU asks of a cluster of nodes; the server wiring
// implements it with package cluster's registry. All methods may be called
// concurrently and must not block on the media path.
type Cluster interface {
	// Locate returns the WHEP endpoint URL of roomID on the node that is
	// its media origin, when that is another node; ok is false when no
	// other live node publishes the room.
	Locate(ctx context.Context, roomID string) (whepURL string, ok bool, err error)
	// RelayToken is the bearer one node presents to another to relay
	// roomID; the same on every node of the cluster, and "" when relaying
	// is off.
	RelayToken(roomID string) string
	// MediaChanged tells the cluster that this node has become (on) or
	// stopped being (off) roomID's media origin (relay false) or one of
	// its relays (relay true). It must return at once.
	MediaChanged(roomID string, relay, on bool)
}

// Placer chooses the node a new WHEP viewer should watch on; see
// WithPlacer.
type Placer interface {
	// Place returns "" to serve the viewer here, or the WHEP endpoint URL
	// of roomID on another node.
	Place(ctx context.Context, roomID string) (whepURL string, err error)
}

// relayLink is the SFU's side of a cluster: the relays it runs.
type relayLink struct {
	c      Cluster
	linger time.Duration
	client *http.Client
	api    *webrtc.API // a relay's peers: ports of their own (relayapi.go)

	mu     sync.Mutex
	relays map[string]*relay // by room ID
}

// relay is one relayed room, run by its goroutine (runRelay).
type relay struct {
	roomID string
	ready  chan struct{} // closed after the first attempt to connect
	sess   *session      // guarded by relayLink.mu
	// gone is set when a real publisher took the room here; the relay
	// then never reconnects. Guarded by relayLink.mu.
	gone bool
	// loc is the origin's URL of the relay's WHEP session (for DELETE);
	// owned by the relay's goroutine.
	loc string
	// pending counts viewers between ensureRelay and the end of their
	// Subscribe; guarded by relayLink.mu.
	pending int
	// layers are the sessions carrying video layers other than the
	// lowest, by RID (relaylayers.go); guarded by relayLink.mu.
	layers map[string]*layerSess
	// catalog is the origin's list of video layers, low to high, and
	// retryAt when a layer the origin refused may be asked for again;
	// both owned by the relay's goroutine.
	catalog []layerInfo
	retryAt map[string]time.Time
}

func newRelay(roomID string) *relay {
	return &relay{roomID: roomID, ready: make(chan struct{}), pending: 1,
		layers: map[string]*layerSess{}, retryAt: map[string]time.Time{}}
}

// SetCluster makes the server relay rooms whose origin is another node:
// a viewer of a room without a publisher here starts a relay. linger is how
// long a relay outlives its last local viewer (0 means 5 s). Call it once,
// before the server takes sessions.
func (srv *Server) SetCluster(c Cluster, linger time.Duration) {
	if linger <= 0 {
		linger = 5 * time.Second
	}
	api, err := newRelayAPI(&srv.cfg)
	if err != nil {
		// Static codecs do not fail to register; were they to, relays
		// share the server's port (and a node relays one room at a time
		// from each origin).
		srv.log.Error("sfu relay: building the relay's WebRTC API failed", "err", err)
		api = srv.tr.api
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	srv.relayLink = &relayLink{c: c, linger: linger, relays: map[string]*relay{}, api: api,
		client: &http.Client{Timeout: 10 * time.Second,
			// An origin never redirects a relay; a redirect would mean a
			// misconfigured node, and following it could chain relays.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (srv *Server) link() *relayLink {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.relayLink
}

// MediaLoad is what this node holds, for the cluster's heartbeat.
type MediaLoad struct {
	Viewers    int
	Publishers int // rooms whose publisher is here (this node is their origin)
	Relays     int // rooms relayed from another node
	Origins    []string
	Relayed    []string
}

// MediaLoad returns this node's media load; it takes the server's lock
// briefly and nothing on the media path.
func (srv *Server) MediaLoad() MediaLoad {
	l := srv.link()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	out := MediaLoad{Viewers: srv.viewers}
	for id, r := range srv.rooms {
		switch {
		case r.publisher == nil:
		case l != nil && l.isRelay(id, r.publisher):
			out.Relays++
			out.Relayed = append(out.Relayed, id)
		default:
			out.Publishers++
			out.Origins = append(out.Origins, id)
		}
	}
	return out
}

// isRelay reports whether s is the relay session of roomID.
func (l *relayLink) isRelay(roomID string, s *session) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	rl := l.relays[roomID]
	return rl != nil && rl.sess == s
}

type noRelayKey struct{}

// withoutRelay marks a Subscribe that must not start a relay: it comes
// from another node's relay, and relays are never chained.
func withoutRelay(ctx context.Context) context.Context {
	return context.WithValue(ctx, noRelayKey{}, true)
}

// isRelayToken reports whether token is the cluster's relay bearer for roomID.
func (srv *Server) isRelayToken(roomID, token string) bool {
	l := srv.link()
	if l == nil || token == "" {
		return false
	}
	want := l.c.RelayToken(roomID)
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(token)) == 1
}

// ensureRelay makes sure a room without a publisher here is relayed from
// its origin, if another node publishes it, before a viewer subscribes. It
// returns once the relay is connected or has failed (the caller then finds
// the room live or not as usual), and counts the viewer as pending until
// the caller calls done, so the relay is not released under a viewer that
// is still negotiating.
func (srv *Server) ensureRelay(ctx context.Context, roomID string) (done func()) {
	l := srv.link()
	if l == nil || ctx.Value(noRelayKey{}) != nil || l.c.RelayToken(roomID) == "" {
		return func() {}
	}
	l.mu.Lock()
	rl, ok := l.relays[roomID]
	if ok {
		rl.pending++
	}
	l.mu.Unlock()
	if !ok {
		if srv.Live(roomID) {
			return func() {} // published here
		}
		// Count the goroutine before publishing the relay in the map, and
		// never hold the link's lock while taking the server's (the order
		// is server, then link: connectRelay and MediaLoad hold both).
		srv.mu.Lock()
		if srv.closed {
			srv.mu.Unlock()
			return func() {}
		}
		srv.wg.Add(1)
		srv.mu.Unlock()
		l.mu.Lock()
		if cur, exists := l.relays[roomID]; exists {
			rl = cur // another viewer started it meanwhile
			rl.pending++
			l.mu.Unlock()
			srv.wg.Done()
		} else {
			rl = newRelay(roomID)
			l.relays[roomID] = rl
			l.mu.Unlock()
			go srv.runRelay(l, rl)
		}
	}
	select {
	case <-rl.ready:
	case <-ctx.Done():
	}
	return func() {
		l.mu.Lock()
		rl.pending--
		l.mu.Unlock()
	}
}

// followPublisher starts a relay of roomID when its publisher here has
// left while viewers here remain. They hear from this node still, so they
// do not offer again; if the seller goes on air on another node instead
// (a phone that changed networks, placed elsewhere by the load balancer),
// the relay brings the room to them there, and they resume on its first
// keyframe without re-joining. It ends like any relay (linger after the
// last of them leaves), and gives way if the publisher comes back here.
func (srv *Server) followPublisher(roomID string) {
	l := srv.link()
	if l == nil || l.c.RelayToken(roomID) == "" {
		return
	}
	srv.mu.Lock()
	r, ok := srv.rooms[roomID]
	if srv.closed || !ok || r.publisher != nil || len(r.subscribers) == 0 {
		srv.mu.Unlock()
		return
	}
	srv.wg.Add(1)
	srv.mu.Unlock()
	l.mu.Lock()
	if _, exists := l.relays[roomID]; exists {
		l.mu.Unlock()
		srv.wg.Done()
		return
	}
	rl := newRelay(roomID)
	rl.pending = 0 // no viewer is negotiating: they are here already
	l.relays[roomID] = rl
	l.mu.Unlock()
	go srv.runRelay(l, rl)
}

func (l *relayLink) forget(rl *relay) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.relays[rl.roomID] == rl {
		delete(l.relays, rl.roomID)
	}
}

// displaceRelay ends the relay of roomID, if any, so that a real publisher
// reaching this node takes the room; viewers stay on the room's feeds and
// resume on the publisher's first keyframe.
func (srv *Server) displaceRelay(roomID string) {
	l := srv.link()
	if l == nil {
		return
	}
	l.mu.Lock()
	rl := l.relays[roomID]
	var sess *session
	if rl != nil {
		sess, rl.sess, rl.gone = rl.sess, nil, true
		delete(l.relays, roomID)
	}
	l.mu.Unlock()
	if rl != nil {
		srv.closeLayers(l, rl, false)
	}
	if sess != nil {
		srv.log.Info("sfu relay gives way to a publisher here", "room", roomID)
		sess.close()
	}
}

// mediaChanged tells the cluster, if any, about this node's origins.
func (srv *Server) mediaChanged(roomID string, relay, on bool) {
	if l := srv.link(); l != nil {
		l.c.MediaChanged(roomID, relay, on)
	}
}
