package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/bidcast/bidcast/auth"
	"github.com/bidcast/bidcast/cluster"
	"github.com/bidcast/bidcast/internal/clientip"
	"github.com/bidcast/bidcast/internal/connect"
	"github.com/bidcast/bidcast/internal/envconf"
	"github.com/bidcast/bidcast/internal/namespace"
	"github.com/bidcast/bidcast/media"
	"github.com/bidcast/bidcast/sfu"
	"github.com/bidcast/bidcast/signaling"
	"github.com/bidcast/bidcast/storage"
)

// Config is the whole server configuration, read from the environment and
// overridden by flags. Secrets only ever come from the environment.
type Config struct {
	HTTPAddr    string
	AdminAddr   string
	PublicURL   string
	DatabaseURL string
	RedisURL    string
	// RedisNamespace, when set (REDIS_NAMESPACE), names this deployment's
	// shared Redis names instead of the one derived from its database.
	RedisNamespace  namespace.Namespace
	LogLevel        slog.Level
	LogFormat       string
	DBConnectWait   time.Duration
	ShutdownTimeout time.Duration
	SFU             sfu.Config
	// NodeID names this process in room leases; unique per node.
	NodeID string
	// LeaseTTL is how long a room's lease lives without renewal: the bound
	// on a takeover after its owner dies, and the longest pause (GC, a slow
	// Redis) an owner survives.
	LeaseTTL time.Duration
	// BidPollInterval is each live room's Asynq idle poll (the backstop
	// behind the immediate nudge).
	BidPollInterval time.Duration
	// LotGrace is how long a lot stays closing for bids received in time.
	LotGrace time.Duration
	// RoomParkAfter is how long a live room nobody uses runs before it
	// parks; RoomAbandonAfter how long it stays parked before it ends.
	RoomParkAfter, RoomAbandonAfter time.Duration
	// WSOrigins are extra page origins allowed to open the WebSocket.
	WSOrigins []string
	// APIRateLimitOff turns the JSON API's rate limiter off (load tests).
	APIRateLimitOff bool
	// ClientIP names a request's client from TRUSTED_PROXIES.
	ClientIP clientip.Resolver
	// WS is the gateway's configuration from the environment (its
	// connection caps); wire adds the rest.
	WS signaling.Config
	// Media are the per-client limits of WHIP and WHEP.
	Media auth.MediaLimits
	// MetricsToken, when set, also serves /metrics on HTTP_ADDR to requests
	// bearing it. Secret: from the environment only.
	MetricsToken string
	// Demo seeds a demo room with a synthetic video publisher.
	Demo bool
	// Cluster is this node in the cluster registry (NODE_URL,
	// CLUSTER_SECRET, CLUSTER_NODE_VIEWERS).
	Cluster cluster.Config
	// getenv reads the environment, for packages with their own settings
	// (auth, media).
	getenv func(string) string
}

// envSpec documents one environment variable; the README's table mirrors
// it. It is envconf.Var under a local name, so the tables below may list
// their fields in order.
type envSpec struct {
	Name, Default, Help string
}

// vars turns specs into envconf's type.
func vars(specs ...[]envSpec) []envconf.Var {
	var out []envconf.Var
	for _, list := range specs {
		for _, s := range list {
			out = append(out, envconf.Var(s))
		}
	}
	return out
}

var envSpecs = []envSpec{
	{"HTTP_ADDR", "127.0.0.1:8080", "address the HTTP server (pages, API, WebSocket, WHIP/WHEP) listens on"},
	{"ADMIN_ADDR", "127.0.0.1:6060", "loopback-only admin listener with /metrics and pprof; empty or off disables it"},
	{"METRICS_TOKEN", "", "also serve /metrics on HTTP_ADDR to requests with Authorization: Bearer <token> (at least 16 characters); none: only on ADMIN_ADDR"},
	{"PUBLIC_URL", "http://<HTTP_ADDR>", "base of the URLs the server prints and hands out"},
	{"DATABASE_URL", "", "Postgres connection URL (required; `make services` writes one to .data/env)"},
	{"REDIS_URL", "", "Redis URL (required; `make services` writes one to .data/env)"},
	{"REDIS_NAMESPACE", "<derived from the database's deployment ID>", "names this deployment's task queues and cluster registry in Redis, so deployments on one Redis database keep apart; set it (lower-case letters, digits, - and _) only where a database was restored from another deployment's dump"},
	{"LOG_LEVEL", "info", "debug, info, warn or error"},
	{"LOG_FORMAT", "text", "text or json"},
	{"DB_CONNECT_WAIT", "30s", "how long to keep retrying an unreachable database at start"},
	{"SHUTDOWN_TIMEOUT", "10s", "how long a clean shutdown may take before connections are cut"},
	{"NODE_ID", "<hostname>-<hash of working directory and HTTP_ADDR>", "this node's name in room leases and the cluster registry; unique per node and stable across its restarts (a restarted node takes its rooms back at once)"},
	{"ROOM_LEASE_TTL", "1.2s", "how long a room's lease lives without renewal (renewed every third of it): another node takes a dead owner's rooms within about this plus 0.2 s; a longer one rides out longer pauses of Redis or the owner"},
	{"BID_POLL_INTERVAL", "250ms", "a live room's idle queue poll, the backstop behind the immediate nudge of each bid"},
	{"LOT_GRACE", "500ms", "how long a lot stays closing after its deadline, for bids received in time"},
	{"ROOM_PARK_AFTER", "10m", "a live room with no lot clock running, no publisher, no viewers and no bid or seller command for this long parks: nothing runs for it until a bid, a viewer, the seller or a publisher wakes it (within 100 ms)"},
	{"ROOM_ABANDON_AFTER", "24h", "a room parked this long is ended, its open lot ended by the usual rules (the seller never came back)"},
	{"WS_ORIGINS", "", "comma-separated extra page origins (host patterns) allowed to open /ws"},
	{"API_RATE_LIMIT_DISABLED", "false", "turn the JSON API's rate limits off (load tests from one address)"},
	{"TRUSTED_PROXIES", "", "comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-For is believed; the client is the right-most hop that is not one of them (none: the socket peer)"},
	{"DEMO", "false", "seed a demo room with a synthetic test-pattern broadcast (make run sets it to true)"},
}

// loadConfig reads the environment, then lets flags on fs override it.
// Every malformed value is reported at once, each naming its variable.
func loadConfig(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	env := envconf.WithDefaults(getenv, vars(envSpecs))
	// flagged holds what the flags set, read in place of the environment.
	flagged := map[string]string{}
	r := envconf.New(func(name string) string {
		if v, ok := flagged[name]; ok {
			return v
		}
		return env(name)
	})
	var c Config
	var level, connectWait, shutdown, poll, grace, lease string
	fs.StringVar(&c.HTTPAddr, "http-addr", env("HTTP_ADDR"), "HTTP listen address (HTTP_ADDR)")
	fs.StringVar(&c.AdminAddr, "admin-addr", env("ADMIN_ADDR"), "admin/pprof listen address, loopback only (ADMIN_ADDR)")
	fs.StringVar(&c.PublicURL, "public-url", env("PUBLIC_URL"), "public base URL (PUBLIC_URL)")
	fs.StringVar(&level, "log-level", env("LOG_LEVEL"), "log level (LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("LOG_FORMAT"), "log format: text or json (LOG_FORMAT)")
	fs.StringVar(&connectWait, "db-connect-wait", env("DB_CONNECT_WAIT"), "retry an unreachable database this long (DB_CONNECT_WAIT)")
	fs.StringVar(&shutdown, "shutdown-timeout", env("SHUTDOWN_TIMEOUT"), "clean shutdown limit (SHUTDOWN_TIMEOUT)")
	fs.StringVar(&c.NodeID, "node-id", env("NODE_ID"), "node name in room leases (NODE_ID)")
	fs.StringVar(&poll, "bid-poll-interval", env("BID_POLL_INTERVAL"), "live room queue poll (BID_POLL_INTERVAL)")
	fs.StringVar(&grace, "lot-grace", env("LOT_GRACE"), "closing grace of a lot (LOT_GRACE)")
	fs.StringVar(&lease, "room-lease-ttl", env("ROOM_LEASE_TTL"), "room lease lifetime (ROOM_LEASE_TTL)")
	fs.BoolVar(&c.Demo, "demo", r.Bool("DEMO", false), "seed and broadcast a demo room (DEMO)")
	c.APIRateLimitOff = r.Bool("API_RATE_LIMIT_DISABLED", false)
	c.WSOrigins = r.List("WS_ORIGINS")
	c.getenv = getenv
	c.MetricsToken = getenv("METRICS_TOKEN")
	c.DatabaseURL = env("DATABASE_URL")
	c.RedisURL = env("REDIS_URL")
	if ns, err := namespace.Parse(getenv("REDIS_NAMESPACE")); err != nil {
		r.Fail(fmt.Errorf("REDIS_NAMESPACE: %w", err))
	} else {
		c.RedisNamespace = ns
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	flagged["DB_CONNECT_WAIT"], flagged["SHUTDOWN_TIMEOUT"] = connectWait, shutdown
	flagged["BID_POLL_INTERVAL"], flagged["LOT_GRACE"], flagged["ROOM_LEASE_TTL"] = poll, grace, lease
	if c.AdminAddr == "off" {
		c.AdminAddr = "" // no admin listener
	}
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		r.Fail(fmt.Errorf("LOG_LEVEL %q: want debug, info, warn or error", level))
	}
	c.DBConnectWait = r.Duration("DB_CONNECT_WAIT", 0)
	c.ShutdownTimeout = r.Duration("SHUTDOWN_TIMEOUT", 0)
	c.BidPollInterval = r.Duration("BID_POLL_INTERVAL", 0)
	c.LotGrace = r.Duration("LOT_GRACE", 0)
	c.LeaseTTL = r.Duration("ROOM_LEASE_TTL", 0)
	c.RoomParkAfter = r.Duration("ROOM_PARK_AFTER", 0)
	c.RoomAbandonAfter = r.Duration("ROOM_ABANDON_AFTER", 0)
	if c.NodeID == "" {
		c.NodeID = cluster.DefaultNodeID(c.HTTPAddr)
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.HTTPAddr
	}
	var err error
	c.SFU, err = sfu.ConfigFromEnv(getenv)
	r.Fail(err)
	c.WS, err = signaling.ConfigFromEnv(getenv)
	r.Fail(err)
	c.Media, err = auth.MediaLimitsFromEnv(getenv)
	r.Fail(err)
	if c.ClientIP, err = clientip.Parse(getenv("TRUSTED_PROXIES")); err != nil {
		r.Fail(fmt.Errorf("TRUSTED_PROXIES: %w", err))
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	c.Cluster, err = cluster.ConfigFromEnv(getenv, c.NodeID, c.PublicURL)
	r.Fail(err)
	if err := r.Err(); err != nil {
		return Config{}, err
	}
	return c, c.Validate()
}

// Validate checks every field and reports all problems at once.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		errs = append(errs, fmt.Errorf("HTTP_ADDR %q: want host:port", c.HTTPAddr))
	}
	if c.AdminAddr != "" {
		host, _, err := net.SplitHostPort(c.AdminAddr)
		ip := net.ParseIP(host)
		if err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			errs = append(errs, fmt.Errorf("ADMIN_ADDR %q: want a loopback host:port such as 127.0.0.1:6060 (pprof is never public)", c.AdminAddr))
		}
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("PUBLIC_URL %q: want an absolute http(s) URL", c.PublicURL))
	}
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is not set: run `make run`, or `make services` and `set -a; . .data/env`"))
	} else if err := (storage.Config{URL: c.DatabaseURL}).Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.RedisURL == "" {
		errs = append(errs, errors.New("REDIS_URL is not set: run `make run`, or `make services` and `set -a; . .data/env`"))
	} else if err := connect.CheckRedisURL(c.RedisURL); err != nil {
		errs = append(errs, fmt.Errorf("REDIS_URL does not parse: %v", err))
	}
	if c.LeaseTTL != 0 && (c.LeaseTTL < 300*time.Millisecond || c.LeaseTTL > time.Minute) {
		errs = append(errs, fmt.Errorf("ROOM_LEASE_TTL %s: want from 300ms to 1m", c.LeaseTTL))
	}
	if c.RoomParkAfter != 0 && c.RoomParkAfter < time.Second {
		errs = append(errs, fmt.Errorf("ROOM_PARK_AFTER %s: want at least 1s", c.RoomParkAfter))
	}
	if c.RoomAbandonAfter != 0 && c.RoomAbandonAfter < time.Minute {
		errs = append(errs, fmt.Errorf("ROOM_ABANDON_AFTER %s: want at least 1m", c.RoomAbandonAfter))
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		errs = append(errs, errors.New("METRICS_TOKEN: want at least 16 characters"))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("LOG_FORMAT %q: want text or json", c.LogFormat))
	}
	return errors.Join(errs...)
}

// newLogger builds the process logger from the configuration.
func (c Config) newLogger() *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// envTable renders the configuration table for `auctiond help`.
func envTable() string { return envconf.Table(allEnv()) }

// allEnv is every variable the server reads, as `auctiond help` lists it.
func allEnv() []envconf.Var {
	return slices.Concat(vars(envSpecs), cluster.Env, sfu.Env, signaling.Env, auth.MediaEnv, auth.Env, media.Env)
}
