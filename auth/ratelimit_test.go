package auth

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/bidcast/bidcast/internal/clientip"
)

func TestLoginRateLimit(t *testing.T) {
	// The test server's peer is loopback: make it the trusted proxy.
	loopback, err := clientip.Parse("127.0.0.0/8, ::1")
	if err != nil {
		t.Fatal(err)
	}
	// A fixed clock keeps every request in one rate window.
	now := time.Now()
	e := newEnv(t, true, func(c *Config) {
		c.Now = func() time.Time { return now }
		c.RateLimit.Login, c.RateLimit.Token = 2, 1
		c.RateLimit.ClientIP = loopback
	})
	ts := e.serve(t)
	guest := func(xff string) *http.Response {
		return do(t, newClient(t), "POST", ts.URL+"/auth/guest", `{"display_name":"Flo"}`, "X-Forwarded-For", xff)
	}
	for i := 0; i < 2; i++ {
		if resp := guest("198.51.100.7"); resp.StatusCode != http.StatusOK {
			t.Fatalf("login %d: status %d", i, resp.StatusCode)
		}
	}
	// The client forges a left-most X-Forwarded-For entry: the proxy
	// appended the real address, which is still out of budget.
	resp := guest("203.0.113.66, 198.51.100.7")
	if resp.StatusCode != http.StatusTooManyRequests || errCode(t, resp) != "rate_limited" {
		t.Fatalf("third login: status %d", resp.StatusCode)
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Fatalf("Retry-After = %q", resp.Header.Get("Retry-After"))
	}
	// Another address has its own budget; so do the token endpoints.
	if resp := guest("198.51.100.8"); resp.StatusCode != http.StatusOK {
		t.Fatalf("other address: status %d", resp.StatusCode)
	}
	c := newClient(t)
	refresh := func() int {
		return do(t, c, "POST", ts.URL+"/auth/refresh", "", "X-Forwarded-For", "198.51.100.7").StatusCode
	}
	if got := refresh(); got != http.StatusUnauthorized {
		t.Fatalf("first refresh without a cookie: %d", got)
	}
	if got := refresh(); got != http.StatusTooManyRequests {
		t.Fatalf("second refresh: %d", got)
	}
}
