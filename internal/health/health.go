package health

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// Healthz answers 200 "ok" while the process is up and serving.
func Healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// Pinger checks one dependency; nil means it answered.
type Pinger func(ctx context.Context) error

// readiness is the body of /readyz: one entry per dependency.
type readiness struct {
	Status   string            `json:"status"`
	Postgres string            `json:"postgres"`
	Redis    string            `json:"redis"`
	Errors   map[string]string `json:"errors,omitempty"`
}

// Readyz answers 200 when Postgres and Redis both answer a ping within a
// second, 503 otherwise, naming the one that is "down" and why. Both
// clients reconnect by themselves, so the endpoint recovers when a
// dependency comes back, without a restart.
func Readyz(postgres, redis Pinger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), time.Second)
		defer cancel()
		rd := readiness{Status: "ready", Postgres: "ok", Redis: "ok"}
		check := func(name string, ping Pinger, state *string) {
			if err := ping(ctx); err != nil {
				*state, rd.Status = "down", "unavailable"
				if rd.Errors == nil {
					rd.Errors = map[string]string{}
				}
				rd.Errors[name] = err.Error()
			}
		}
		check("postgres", postgres, &rd.Postgres)
		check("redis", redis, &rd.Redis)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if rd.Status != "ready" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(rd)
	})
}
