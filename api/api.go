package api

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/events"
	"github.com/bidcast/bidcast/storage"
)

// Prefix is where the API lives; cmd mounts New's handler at Prefix + "/".
const Prefix = "/api/v1"

// Deps are the services the API runs on.
type Deps struct {
	// DB is the Postgres pool; required.
	DB *storage.DB
	// Redis backs the rate limiter; nil turns rate limiting off.
	Redis redis.UniversalClient
	// Auth tells who is calling; required.
	Auth Authenticator
	// Log receives request failures; nil discards them.
	Log *slog.Logger
	// Media takes item uploads (package media's *Service); nil makes the
	// media routes answer 503 media_disabled and item deletes leave files
	// to the caller.
	Media Media
	// Views decides who may see a private room; nil shows private rooms to
	// their seller and admins only (viewer tokens need it).
	Views RoomViewer
	// Aliases names bidders in bid histories and results, as the room's
	// WebSocket events name them (*events.Aliases);
	// nil means a random key, good for one process only.
	Aliases Aliaser
	// Tasks is the process's Asynq client, which the webhook worker
	// enqueues its deliveries through (one client per process); the
	// caller owns and closes it. Nil makes the worker open its own on
	// Redis and close it when Run returns.
	Tasks *asynq.Client
	// Cluster lists the nodes sharing this Postgres and Redis
	// (*cluster.Registry); nil makes GET /cluster answer 503
	// cluster_disabled.
	Cluster ClusterNodes
}

// Aliaser names a user as a bidder of one room, without revealing who they
// are; *events.Aliases implements it.
type Aliaser interface {
	Of(roomID, userID string) string
}

var _ Aliaser = (*events.Aliases)(nil)

// server holds what every handler needs.
type server struct {
	cfg      Config
	log      *slog.Logger
	auth     Authenticator
	items    *storage.Items
	rooms    *storage.Rooms
	lots     *storage.Lots
	bids     *storage.Bids
	webhooks *storage.Webhooks
	notes    *storage.Notifications
	follows  *storage.Follows
	limiter  *limiter
	targets  targetPolicy
	media    Media
	views    RoomViewer
	rdb      redis.UniversalClient
	aliases  Aliaser
	cluster  ClusterNodes
}

// New returns the API's handler, serving every route under Prefix. Mount it
// with mux.Handle(api.Prefix+"/", h).
func New(cfg Config, deps Deps) (http.Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.DB == nil || deps.Auth == nil {
		return nil, errors.New("api: Deps.DB and Deps.Auth are required")
	}
	cfg = cfg.withDefaults()
	log := deps.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &server{
		cfg:      cfg,
		log:      log,
		auth:     deps.Auth,
		items:    storage.NewItems(deps.DB),
		rooms:    storage.NewRooms(deps.DB),
		lots:     storage.NewLots(deps.DB),
		bids:     storage.NewBids(deps.DB),
		webhooks: storage.NewWebhooks(deps.DB),
		notes:    storage.NewNotifications(deps.DB),
		follows:  storage.NewFollows(deps.DB),
		targets:  newTargetPolicy(cfg.Webhooks),
		media:    deps.Media,
		views:    deps.Views,
		rdb:      deps.Redis,
		aliases:  deps.Aliases,
		cluster:  deps.Cluster,
	}
	if s.aliases == nil {
		s.aliases = events.NewAliases(nil)
	}
	if deps.Redis != nil && !cfg.RateLimit.Disabled {
		s.limiter = newLimiter(deps.Redis, cfg.RateLimit, log, cfg.Now)
	}
	return s.mux()
}

// mux registers every route of the table, plus a fallback that answers
// unknown paths and wrong methods in the API's error format.
func (s *server) mux() (http.Handler, error) {
	mux := http.NewServeMux()
	paths := http.NewServeMux()
	seen := map[string]bool{}
	for _, rt := range routes() {
		mux.Handle(rt.Method+" "+Prefix+rt.Path, s.wrap(rt))
		if !seen[rt.Path] {
			seen[rt.Path] = true
			paths.Handle(Prefix+rt.Path, http.NotFoundHandler())
		}
	}
	mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := paths.Handler(r); pattern != "" {
			writeError(w, s.log, r, &Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed",
				Message: fmt.Sprintf("%s is not allowed here", r.Method)})
			return
		}
		writeError(w, s.log, r, &Error{Status: http.StatusNotFound, Code: "no_route", Message: "no such endpoint"})
	})
	return mux, nil
}

// wrap turns a route's handler into an http.Handler: it authenticates,
// applies the rate limits and the route's access rule, and writes any error
// the handler returns.
func (s *server) wrap(rt route) http.Handler {
	h := rt.handler(s)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(err error) { writeError(w, s.log, r, err) }
		if err := s.limiter.allowIP(r); err != nil {
			fail(err)
			return
		}
		p, err := s.auth.Authenticate(r)
		if err != nil {
			if errors.Is(err, ErrUnauthenticated) {
				fail(&Error{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "invalid or expired credentials"})
			} else {
				fail(fmt.Errorf("authenticate: %w", err))
			}
			return
		}
		if !p.Anonymous() {
			if err := s.limiter.allowUser(r.Context(), p.UserID); err != nil {
				fail(err)
				return
			}
		}
		if err := authorize(p, rt.Access); err != nil {
			fail(err)
			return
		}
		if err := h(w, withViewerToken(r), p); err != nil {
			fail(err)
		}
	})
}
