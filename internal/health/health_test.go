package health

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"testing"
)

func TestHealthz(t *testing.T) {
	rec := httptest.NewRecorder()
	Healthz(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != 200 || rec.Body.String() != "ok\n" {
		t.Fatalf("healthz = %d %q", rec.Code, rec.Body)
	}
}

func TestReadyz(t *testing.T) {
	up := func(context.Context) error { return nil }
	down := func(context.Context) error { return errors.New("connection refused") }
	for _, tc := range []struct {
		name                string
		postgres, redis     Pinger
		status              int
		wantPG, wantRedis   string
		wantStatus, errName string
	}{
		{"both up", up, up, 200, "ok", "ok", "ready", ""},
		{"redis down", up, down, 503, "ok", "down", "unavailable", "redis"},
		{"postgres down", down, up, 503, "down", "ok", "unavailable", "postgres"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Readyz(tc.postgres, tc.redis).ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
			var body readiness
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if rec.Code != tc.status || body.Status != tc.wantStatus || body.Postgres != tc.wantPG || body.Redis != tc.wantRedis {
				t.Fatalf("readyz = %d %+v", rec.Code, body)
			}
			if tc.errName != "" && body.Errors[tc.errName] != "connection refused" {
				t.Fatalf("errors = %v, want %s named", body.Errors, tc.errName)
			}
			if rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("headers = %v", rec.Header())
			}
		})
	}
}
