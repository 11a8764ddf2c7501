package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/internal/connect"
	"github.com/bidcast/bidcast/internal/metrics"
	"github.com/bidcast/bidcast/internal/namespace"
	"github.com/bidcast/bidcast/sfu"
	"github.com/bidcast/bidcast/storage"
)

// App is the wired server. Tests build one with newApp and drive it through
// Run and Close, exactly as main does.
type App struct {
	cfg   Config
	log   *slog.Logger
	db    *storage.DB
	redis *redis.Client
	// ns names this deployment's shared Redis names (namespace).
	ns       namespace.Namespace
	registry *prometheus.Registry
	sfu      *sfu.Server
	svc      *services
	// mediaHTTP serves WHIP and WHEP.
	mediaHTTP *sfu.HTTPHandler

	httpLn  net.Listener
	adminLn net.Listener
	http    *http.Server
	admin   *http.Server
}

// newApp binds the listeners first, so a port in use fails at once as a
// usage error, then connects to Postgres (with retries) and Redis and applies
// migrations.
func newApp(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	a := &App{cfg: cfg, log: log, registry: prometheus.NewRegistry()}
	var err error
	if a.httpLn, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		return nil, usageError{Err: fmt.Errorf("HTTP_ADDR %s: %w", cfg.HTTPAddr, err)}
	}
	if cfg.AdminAddr != "" {
		if a.adminLn, err = net.Listen("tcp", cfg.AdminAddr); err != nil {
			a.httpLn.Close()
			return nil, usageError{Err: fmt.Errorf("ADMIN_ADDR %s: %w", cfg.AdminAddr, err)}
		}
	}
	if err := a.connect(ctx); err != nil {
		a.Close()
		return nil, err
	}
	sfuCfg := cfg.SFU
	sfuCfg.Logger = log.With("component", "sfu")
	if a.sfu, err = sfu.New(sfuCfg); err != nil {
		a.Close()
		return nil, usageError{Err: fmt.Errorf("start SFU: %w", err)}
	}
	if err := a.wire(); err != nil {
		a.Close()
		return nil, err
	}
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		metrics.NewSFUCollector(a.sfu, metrics.NewRoomLabels(storage.NewRooms(a.db)).Label),
		metrics.NewUploadsCollector(a.svc.media), metrics.NewBidStagesCollector(a.svc.bidStages),
		metrics.NewGatewayCollector(a.svc.gateway), metrics.NewCommitGroupCollector(a.svc.commits))
	a.mediaHTTP = sfu.NewHTTPHandler(a.sfu, wakingMedia{a.svc.auth.MediaGrants(), a.svc.node}, sfu.WithAdmission(a.svc.admission.Admit),
		sfu.WithPlacer(a.svc.cluster.SFU()))
	a.http = &http.Server{
		Handler:           a.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if a.adminLn != nil {
		a.admin = &http.Server{Handler: metrics.Admin(a.registry), ReadHeaderTimeout: 10 * time.Second}
	}
	return a, nil
}

// connect opens Postgres and Redis and brings the schema up to date.
func (a *App) connect(ctx context.Context) error {
	var from, to int32
	var err error
	if a.db, from, to, err = connect.Postgres(ctx, a.cfg.DatabaseURL, a.cfg.DBConnectWait, a.log); err != nil {
		return err
	}
	if from != to {
		a.log.Info("database migrated", "from", from, "to", to)
	}
	if a.redis, err = connect.Redis(ctx, a.cfg.RedisURL, redisPoolSize); err != nil {
		return err
	}
	a.ns, err = namespace.Choose(a.cfg.RedisNamespace, func() (string, error) { return a.db.DeploymentID(ctx) })
	return err
}

// listeners are the attributes of the start-up line: the public URL, this
// node, and every listener with the address it is bound to ("off" for one
// that is disabled), so an operator sees at once what is reachable.
func (a *App) listeners() []any {
	admin, tcp := "off", "off"
	if a.adminLn != nil {
		admin = a.adminLn.Addr().String()
	}
	if addr := a.sfu.ICETCPAddr(); addr != nil {
		tcp = addr.String()
	}
	return []any{"url", a.cfg.PublicURL + "/", "node", a.cfg.NodeID, "redis_namespace", a.ns.String(),
		"http", a.httpLn.Addr().String(),
		"admin", admin, "sfu_udp", a.sfu.ICEUDPAddr().String(), "sfu_tcp", tcp}
}

// Run serves until ctx is cancelled, then shuts down in reverse order of
// start: HTTP first (no new work), then the stores.
func (a *App) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	serveOn := func(srv *http.Server, ln net.Listener, name string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s server: %w", name, err)
			}
		}()
	}
	serveOn(a.http, a.httpLn, "http")
	if a.admin != nil {
		serveOn(a.admin, a.adminLn, "admin")
	}
	stopWorkers := a.startWorkers()
	a.log.Info("bidcast is up", a.listeners()...)

	var runErr error
	select {
	case <-ctx.Done():
		a.log.Info("shutting down")
	case runErr = <-errc:
		a.log.Error("server failed", "err", runErr)
	}
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := a.http.Shutdown(sctx); err != nil {
		a.log.Warn("http shutdown cut short", "err", err)
	}
	if a.admin != nil {
		_ = a.admin.Shutdown(sctx)
	}
	if err := a.svc.gateway.Shutdown(sctx); err != nil {
		a.log.Warn("WebSocket shutdown cut short", "err", err)
	}
	wg.Wait()
	stopWorkers()
	if err := a.sfu.Close(); err != nil {
		a.log.Warn("closing the SFU", "err", err)
	}
	return runErr
}

// Close releases the stores and any listener not yet handed to a server.
// It is safe to call after Run and on a partly built App.
func (a *App) Close() {
	a.closeServices()
	if a.sfu != nil {
		_ = a.sfu.Close()
	}
	if a.redis != nil {
		_ = a.redis.Close()
	}
	if a.db != nil {
		a.db.Close()
	}
	if a.httpLn != nil {
		_ = a.httpLn.Close()
	}
	if a.adminLn != nil {
		_ = a.adminLn.Close()
	}
}

// redisPoolSize is the Redis connection pool's size unless REDIS_URL sets
// pool_size. Every live room's sequencer, publisher and queue server share
// this pool; go-redis' default (10 per CPU) made busy rooms wait for a
// connection.
const redisPoolSize = 128

// serve is the `serve` subcommand.
func serve(ctx context.Context, cfg Config) error {
	log := cfg.newLogger()
	connect.InstallRedisLogger(log)
	app, err := newApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer app.Close()
	fmt.Fprintf(os.Stderr, "\nBidcast is running: open %s/ in a browser (Ctrl-C stops it)\n\n", cfg.PublicURL)
	return app.Run(ctx)
}
