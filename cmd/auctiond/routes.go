package main

import (
	"context"
	"net/http"

	"github.com/bidcast/bidcast/api"
	"github.com/bidcast/bidcast/auth"
	"github.com/bidcast/bidcast/internal/health"
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
		{"GET /healthz", http.HandlerFunc(health.Healthz)},
		{"GET /readyz", health.Readyz(a.db.Ping, func(ctx context.Context) error { return a.redis.Ping(ctx).Err() })},
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
