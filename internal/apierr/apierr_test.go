package apierr

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWriteShapes(t *testing.T) {
	tests := []struct {
		name       string
		write      func(http.ResponseWriter, *Error)
		err        *Error
		body       string
		retryAfter string
	}{
		{"envelope", Write, New(http.StatusNotFound, "not_found", "no such resource"),
			`{"error":{"code":"not_found","message":"no such resource"}}` + "\n", ""},
		{"envelope with field", Write, New(http.StatusUnprocessableEntity, "invalid_field", "a < b & c").WithField("lots[0].step"),
			`{"error":{"code":"invalid_field","message":"a < b & c","field":"lots[0].step"}}` + "\n", ""},
		{"envelope 429", Write, New(http.StatusTooManyRequests, "rate_limited", "slow down").WithRetryAfter(3),
			`{"error":{"code":"rate_limited","message":"slow down"}}` + "\n", "3"},
		{"retry-after only on 429 or 503", Write, &Error{Status: http.StatusBadRequest, Code: "x", Message: "y", RetryAfter: 3},
			`{"error":{"code":"x","message":"y"}}` + "\n", ""},
		{"flat", WriteFlat, New(http.StatusForbidden, "origin_rejected", "this Origin may not connect").WithField("ignored"),
			`{"code":"origin_rejected","message":"this Origin may not connect"}` + "\n", ""},
		{"flat 503", WriteFlat, New(http.StatusServiceUnavailable, "unavailable", "later").WithRetryAfter(0),
			`{"code":"unavailable","message":"later"}` + "\n", "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			tt.write(rec, tt.err)
			if rec.Code != tt.err.Status || rec.Body.String() != tt.body {
				t.Fatalf("got %d %q, want %d %q", rec.Code, rec.Body.String(), tt.err.Status, tt.body)
			}
			if got := rec.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			if rec.Header().Get("Content-Type") != "application/json; charset=utf-8" ||
				rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("headers %v", rec.Header())
			}
		})
	}
}

func TestAsAndText(t *testing.T) {
	sentinel := New(http.StatusForbidden, "forbidden", "not allowed")
	err := fmt.Errorf("check grant: %w", sentinel)
	e, ok := As(err)
	if !ok || e != sentinel || !errors.Is(err, sentinel) {
		t.Fatalf("As(%v) = %v, %v", err, e, ok)
	}
	if _, ok := As(errors.New("plain")); ok {
		t.Fatal("As found an *Error in a plain error")
	}
	if got := sentinel.WithField("room").Error(); got != "forbidden: not allowed (room)" {
		t.Errorf("Error() = %q", got)
	}
	if sentinel.Field != "" {
		t.Error("WithField changed the sentinel")
	}
}
