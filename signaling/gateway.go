package signaling

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/events"
	"github.com/bidcast/bidcast/internal/apierr"
	"github.com/bidcast/bidcast/internal/ratelimit"
)

// BidSubmitter takes a bid into the bid pipeline and says how far it got.
// A bid whose shape the pipeline refuses comes back as an *Error with
// CodeInvalidBid. The submitter also enforces the room's bans, in the same
// step as it sequences the bid, so the gateway reads nothing first: a bid
// from a user in the room's set at BannedKey comes back as CodeBanned (and
// one for a room that has ended as CodeRoomNotLive). cmd/auctiond adapts
// the bidding package's Ingress to it.
type BidSubmitter interface {
	SubmitBid(ctx context.Context, b BidRequest) (BidReceipt, error)
}

// EventLog is the room event log the gateway relays and resumes from, and
// publishes chat to; events.RedisLog implements it.
type EventLog = events.Log

// Deps are the gateway's collaborators. Auth, Rooms and Redis are required;
// the rest may be nil: Events and Moderation then default to their Redis
// implementations over Redis, and a nil Bids, Commander or Media makes the
// matching messages answer unavailable / media_unavailable.
type Deps struct {
	Auth       Authenticator
	Rooms      RoomLookup
	Redis      redis.UniversalClient
	Events     EventLog
	Moderation ModerationState
	Bids       BidSubmitter
	Commander  Commander
	Media      Media
	// Views decides who may watch a private room; nil admits only its
	// seller and admins (viewer tokens need it).
	Views ViewChecker
	// Identities reloads a user's rights when an access notice names them;
	// nil closes every named connection so that it reconnects.
	Identities IdentityLoader
	// BidGrant says who may bid in which room (auth's rule, in the server);
	// nil applies the default rule, guests only where the room takes them.
	BidGrant BidGrant
	// Aliases names bidders to viewers (the snapshot's you.alias); it must
	// be the one the bid pipeline publishes with. Nil means a random key.
	Aliases *events.Aliases
	// Placer, in a cluster, names the node a viewer of a room is best
	// placed on (join's media_url); nil never names one.
	Placer MediaPlacer
	// Waker wakes a parked room when someone joins it (the bid pipeline's
	// node); nil wakes nothing.
	Waker RoomWaker
	Log   *slog.Logger
}

// MediaPlacer chooses the node a new viewer of a room should watch on;
// the cluster registry's SFU link implements it.
type MediaPlacer interface {
	// Place returns "" for this node, or the room's WHEP endpoint URL on
	// another node.
	Place(ctx context.Context, roomID string) (whepURL string, err error)
}

// RoomWaker wakes a room whose auction is parked because nobody was
// there; Wake must not block.
type RoomWaker interface {
	Wake(roomID string)
}

// Gateway is the WebSocket endpoint (GET /ws). It is an http.Handler; its
// methods are safe for concurrent use.
type Gateway struct {
	cfg        Config
	log        *slog.Logger
	auth       Authenticator
	rdb        redis.UniversalClient
	events     EventLog
	moderation ModerationState
	bids       BidSubmitter
	commander  Commander
	media      Media
	grant      BidGrant
	views      ViewChecker
	identities IdentityLoader
	aliases    *events.Aliases
	placer     MediaPlacer
	waker      RoomWaker
	rooms      *roomCache
	hub        *hub
	viewers    *viewers
	slots      *ratelimit.Slots
	revoker    *revoker
	pool       *writePool
	stats      counters

	// base is the parent of every connection's context; cancelling it is
	// the hard stop after Shutdown's grace.
	base       context.Context
	cancelBase context.CancelFunc

	mu      sync.Mutex
	closing bool
	conns   map[*conn]struct{}
	connsWG sync.WaitGroup // one per served connection
	bgWG    sync.WaitGroup // the hub's receiver and room flushers, the viewer publisher, the write watchdog
	stopped atomic.Bool
}

// New returns a running gateway: it subscribes to Redis and starts its
// node-wide goroutines (room events, viewer counts, access notices, the
// write watchdog; the connection slots renew themselves), which Shutdown
// stops.
func New(cfg Config, deps Deps) (*Gateway, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Auth == nil || deps.Rooms == nil || deps.Redis == nil {
		return nil, errors.New("signaling: Deps.Auth, Deps.Rooms and Deps.Redis are required")
	}
	cfg = cfg.withDefaults()
	g := &Gateway{cfg: cfg, log: deps.Log, auth: deps.Auth, rdb: deps.Redis, events: deps.Events,
		moderation: deps.Moderation, bids: deps.Bids, commander: deps.Commander, media: deps.Media,
		grant: deps.BidGrant, views: deps.Views, identities: deps.Identities, aliases: deps.Aliases, placer: deps.Placer,
		waker: deps.Waker,
		conns: make(map[*conn]struct{})}
	if g.grant == nil {
		g.grant = defaultBidGrant{}
	}
	if g.aliases == nil {
		g.aliases = events.NewAliases(nil)
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	g.log = g.log.With("component", "signaling", "node", cfg.NodeID)
	if g.events == nil {
		g.events = events.NewRedisLog(deps.Redis)
	}
	if g.moderation == nil {
		g.moderation = NewRedisModeration(deps.Redis)
	}
	g.rooms = newRoomCache(deps.Rooms, cfg.RoomCacheTTL, cfg.Now)
	g.slots = ratelimit.NewSlots(deps.Redis, ratelimit.SlotsConfig{Prefix: cfg.LimitPrefix, TTL: cfg.SlotTTL,
		Log: g.log, Now: cfg.Now})
	g.base, g.cancelBase = context.WithCancel(context.Background())
	g.revoker = newRevoker(g)
	g.pool = newWritePool(0)
	g.hub = newHub(g)
	g.viewers = newViewers(g)
	g.bgWG.Add(4)
	go func() { defer g.bgWG.Done(); g.watchWrites(g.base) }()
	go func() { defer g.bgWG.Done(); g.hub.run(g.base) }()
	go func() { defer g.bgWG.Done(); g.viewers.run(g.base) }()
	go func() { defer g.bgWG.Done(); g.revoker.run(g.base) }()
	return g, nil
}

// ServeHTTP upgrades GET /ws. Origin and credentials are checked before the
// upgrade, so a refused request gets a plain HTTP error with a JSON body
// {"code","message"} and never a WebSocket, and changes nothing.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		httpError(w, http.StatusMethodNotAllowed, CodeBadRequest, "use GET to open a WebSocket")
		return
	}
	if !originAllowed(r, g.cfg.OriginPatterns) {
		g.stats.rejected.Add(1)
		httpError(w, http.StatusForbidden, CodeOriginRejected, "this Origin may not connect")
		return
	}
	if msg := upgradeProblem(r); msg != "" {
		w.Header().Set("Upgrade", "websocket")
		httpError(w, http.StatusUpgradeRequired, CodeBadRequest, msg)
		return
	}
	id, err := g.auth.Authenticate(r)
	if err != nil {
		g.stats.rejected.Add(1)
		code, msg, internal := classify(err)
		if internal {
			g.log.Error("authenticate websocket", "err", err)
			status := http.StatusInternalServerError
			if code == CodeUnavailable {
				status = http.StatusServiceUnavailable
			}
			httpError(w, status, code, msg)
			return
		}
		if code == CodeUnauthorized {
			msg = err.Error()
		}
		httpError(w, http.StatusUnauthorized, code, msg)
		return
	}
	lease, err := g.admit(r, id)
	if err != nil {
		g.stats.rejected.Add(1)
		g.stats.rateLimited.Add(1)
		code, msg, _ := classify(err)
		w.Header().Set("Retry-After", strconv.Itoa(ratelimit.RetryAfter(connRetryAfter)))
		httpError(w, http.StatusTooManyRequests, code, msg)
		return
	}
	// The socket goes to the library wrapped, so the write pool learns
	// when a write would block (writepool.go).
	hw := &hijackWriter{ResponseWriter: w}
	ws, err := websocket.Accept(hw, r, &websocket.AcceptOptions{
		OriginPatterns:  g.cfg.OriginPatterns,
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		lease.Release()
		return // Accept has written the HTTP error.
	}
	c := newConn(g, ws, id)
	c.pc = hw.pc
	c.lease = lease
	if !g.register(c) {
		lease.Release()
		ws.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	// The connection runs in its own goroutine so that this one, with the
	// request, the response and net/http's buffers, can end: an idle
	// connection then holds only what it needs.
	go func() {
		defer g.unregister(c)
		c.serve()
	}()
}

// register adds c unless the gateway is shutting down.
func (g *Gateway) register(c *conn) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closing {
		return false
	}
	g.conns[c] = struct{}{}
	g.connsWG.Add(1)
	g.stats.connections.Add(1)
	g.stats.connectionsTotal.Add(1)
	return true
}

func (g *Gateway) unregister(c *conn) {
	c.lease.Release()
	g.mu.Lock()
	delete(g.conns, c)
	g.mu.Unlock()
	g.stats.connections.Add(-1)
	g.connsWG.Done()
}

// Shutdown closes every connection with StatusGoingAway, waits for them and
// for the gateway's goroutines, and stops accepting new ones. If ctx ends
// first, remaining connections are dropped without a close handshake; the
// goroutines still end before Shutdown returns.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.mu.Lock()
	g.closing = true
	conns := make([]*conn, 0, len(g.conns))
	for c := range g.conns {
		conns = append(conns, c)
	}
	g.mu.Unlock()
	for _, c := range conns {
		c.closeWith(websocket.StatusGoingAway, "server shutting down")
	}
	done := make(chan struct{})
	go func() { g.connsWG.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("signaling shutdown: %w", ctx.Err())
	}
	g.cancelBase()
	// Writes take no context (writer.go): a write still hanging is ended
	// by closing its socket.
	g.mu.Lock()
	for c := range g.conns {
		_ = c.ws.CloseNow()
	}
	g.mu.Unlock()
	<-done
	g.hub.close()
	g.bgWG.Wait()
	g.slots.Close()
	g.stopped.Store(true)
	return err
}

// Close is Shutdown with a five-second grace for close handshakes.
func (g *Gateway) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), closeGrace)
	defer cancel()
	return g.Shutdown(ctx)
}

// closeGrace is how long Close lets connections finish their close
// handshakes.
const closeGrace = 5 * time.Second

// upgradeProblem says what makes r not a WebSocket upgrade, or "" when it
// is one. Checked before Accept, which would answer in plain text, so that
// every refusal of /ws has the documented JSON body.
func upgradeProblem(r *http.Request) string {
	switch {
	case !headerHasToken(r.Header, "Connection", "upgrade") || !headerHasToken(r.Header, "Upgrade", "websocket"):
		return "GET /ws must be a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket)"
	case r.Header.Get("Sec-WebSocket-Version") != "13":
		return "only WebSocket version 13 is supported"
	case r.Header.Get("Sec-WebSocket-Key") == "":
		return "missing Sec-WebSocket-Key"
	}
	return ""
}

// headerHasToken reports whether a comma-separated header lists token,
// ignoring case.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, part := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}

// httpError refuses a request before the upgrade with the flat JSON body
// {"code","message"} of docs/protocol.md.
func httpError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Cache-Control", "no-store")
	apierr.WriteFlat(w, apierr.New(status, code, message))
}
