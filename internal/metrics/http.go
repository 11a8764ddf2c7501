package metrics

import (
	"crypto/subtle"
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler serves the registry. It tells the server's load, live rooms and
// their audiences (private rooms under pseudonyms), so the server mounts it
// on the loopback admin listener, and on the public one only behind
// Public's token.
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// Public is the registry on the public listener: behind a bearer token
// compared in constant time (others get 401), or not found when token is
// empty.
func Public(reg *prometheus.Registry, token string) http.Handler {
	if token == "" {
		return http.NotFoundHandler()
	}
	want, next := []byte("Bearer "+token), Handler(reg)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics need the METRICS_TOKEN bearer token", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Admin serves the registry at /metrics and Go's profiler under
// /debug/pprof/. The server mounts it only on the loopback admin listener
// (ADMIN_ADDR must be a loopback address): profiles are never public.
func Admin(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", Handler(reg))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
