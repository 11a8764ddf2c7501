package main

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bidcast/bidcast/api"
	"github.com/bidcast/bidcast/sfu"
	"github.com/bidcast/bidcast/storage"
	"github.com/bidcast/bidcast/web"
)

// routes is the public HTTP surface.
func (a *App) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", handleHealthz)
	mux.HandleFunc("GET /readyz", a.handleReadyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{Registry: a.registry}))
	media := sfu.NewHTTPHandler(a.sfu, roomMediaAuth{rooms: storage.NewRooms(a.db), auth: a.svc.auth})
	mux.Handle("/whip/", media)
	mux.Handle("/whep/", sessionBearer(media))
	mux.Handle("GET /ws", a.svc.gateway)
	mux.Handle("/auth/", a.svc.auth.Routes())
	mux.Handle(api.Prefix+"/", a.svc.auth.CSRF(a.svc.api))
	// Processed item media; uploads and deletes are API routes.
	mux.Handle("/media/{key...}", a.svc.media.FileServer())
	mux.Handle("/", web.Handler())
	return mux
}

// handleHealthz answers 200 while the process is up and serving.
func handleHealthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// readiness is the body of /readyz: one entry per dependency.
type readiness struct {
	Status   string            `json:"status"`
	Postgres string            `json:"postgres"`
	Redis    string            `json:"redis"`
	Errors   map[string]string `json:"errors,omitempty"`
}

// handleReadyz answers 200 when Postgres and Redis both answer a ping within
// a second, 503 otherwise. Both clients reconnect by themselves, so the
// endpoint recovers when a dependency comes back, without a restart.
func (a *App) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	rd := readiness{Status: "ready", Postgres: "ok", Redis: "ok"}
	fail := func(name string, err error) {
		rd.Status = "unavailable"
		if rd.Errors == nil {
			rd.Errors = map[string]string{}
		}
		rd.Errors[name] = err.Error()
	}
	if err := a.db.Ping(ctx); err != nil {
		rd.Postgres = "down"
		fail("postgres", err)
	}
	if err := a.redis.Ping(ctx).Err(); err != nil {
		rd.Redis = "down"
		fail("redis", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if rd.Status != "ready" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(rd)
}
