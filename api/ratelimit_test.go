package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/internal/testenv"
)

// testRedis returns a client of the real Redis when cfg needs one.
func testRedis(t *testing.T, cfg Config) redis.UniversalClient {
	if cfg.RateLimit.Disabled {
		return nil
	}
	return newRedis(t)
}

func newRedis(t *testing.T) redis.UniversalClient {
	t.Helper()
	opt, err := redis.ParseURL(testenv.Require(t, "REDIS_URL"))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis: %v", err)
	}
	return rdb
}

// uniquePrefix keeps a test's Redis keys apart from other runs on the
// shared server.
func uniquePrefix(kind string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "bidcast:test:" + kind + ":" + hex.EncodeToString(b[:]) + ":"
}

func TestRateLimits(t *testing.T) {
	// A fixed clock keeps every request in one window.
	now := time.Now()
	e := newEnv(t, Config{Now: func() time.Time { return now },
		RateLimit: RateLimitConfig{PerIP: 6, PerUser: 3, KeyPrefix: uniquePrefix("rl")}})
	alice := e.user("alice", RoleSeller)
	bob := e.user("bob", RoleSeller)
	for range 3 {
		e.must(e.do("GET", "/items", alice, nil), http.StatusOK)
	}
	r := e.do("GET", "/items", alice, nil)
	if r.Status != http.StatusTooManyRequests || r.errCode() != "rate_limited" {
		t.Fatalf("4th request by alice: %d %s", r.Status, r.Raw)
	}
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	// Bob has his own user budget but shares the address, which has
	// served 4 requests: two more pass, the next is refused by address.
	e.must(e.do("GET", "/items", bob, nil), http.StatusOK)
	e.must(e.do("GET", "/items", bob, nil), http.StatusOK)
	if r := e.do("GET", "/rooms", "", nil); r.Status != http.StatusTooManyRequests {
		t.Fatalf("7th request from the address: %d %s", r.Status, r.Raw)
	}
}
