package main

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/bidcast/bidcast/api"
	"github.com/bidcast/bidcast/auth"
	"github.com/bidcast/bidcast/internal/metrics"
	"github.com/bidcast/bidcast/web"
)

// routes is the public HTTP surface.
func (a *App) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range a.routeTable() {
		mux.Handle(rt.pattern, rt.handler)
	}
	return mux
}

// mount is one pattern of the public mux. Patterns ending in "/" mount a
// subtree whose own routes the package lists (sfu, auth, api).
type mount struct {
	pattern string
	handler http.Handler
}

// routeTable is the public mux, in registration order.
func (a *App) routeTable() []mount {
	return []mount{
		{"GET /healthz", http.HandlerFunc(handleHealthz)},
		{"GET /readyz", http.HandlerFunc(a.handleReadyz)},
		{"GET /metrics", metrics.Public(a.registry, a.cfg.MetricsToken)},
		{"/whip/", a.mediaHTTP},
		{"/whep/", auth.SessionBearer(a.mediaHTTP)},
		{"GET /ws", a.svc.gateway},
		{"/auth/", a.svc.auth.Routes()},
		{api.Prefix + "/", a.svc.auth.CSRF(a.svc.api)},
		// Processed item media; uploads and deletes are API routes.
		{"/media/{key...}", a.svc.media.FileServer()},
		{"/", web.Handler()},
	}
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
