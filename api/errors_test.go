package api

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"

	"github.com/bidcast/bidcast/auth"
	"github.com/bidcast/bidcast/internal/apierr"
)

// TestWriteErrorOneCodedType: a coded error made by another package (auth,
// media) shares the API's type and goes out as it is, except that a
// dependency outage always reads as the API's 503 unavailable with
// Retry-After, whoever reported it.
func TestWriteErrorOneCodedType(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		body       string
		retryAfter string
	}{
		{"api error", invalid("title", "too long"), 422,
			`{"error":{"code":"invalid_field","message":"too long","field":"title"}}`, ""},
		{"another package's coded error", fmt.Errorf("grant: %w", auth.ErrForbidden), 403,
			`{"error":{"code":"forbidden","message":"not allowed"}}`, ""},
		{"auth outage", fmt.Errorf("%w: %w", syscall.ECONNREFUSED, auth.ErrUnavailable), 503,
			`{"error":{"code":"unavailable","message":"the server cannot reach its database right now; try again"}}`, "1"},
		{"plain error", io.ErrShortWrite, 500, `{"error":{"code":"internal","message":"internal error"}}`, ""},
		{"coded 429", apierr.New(http.StatusTooManyRequests, "rate_limited", "slow down").WithRetryAfter(7), 429,
			`{"error":{"code":"rate_limited","message":"slow down"}}`, "7"},
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			writeError(rec, log, httptest.NewRequest("GET", "/api/v1/rooms", nil), tt.err)
			if rec.Code != tt.status || strings.TrimSpace(rec.Body.String()) != tt.body {
				t.Fatalf("got %d %s, want %d %s", rec.Code, rec.Body.String(), tt.status, tt.body)
			}
			if got := rec.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
		})
	}
}
