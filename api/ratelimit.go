package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/internal/clientip"
	"github.com/bidcast/bidcast/internal/ratelimit"
)

// limiter charges the API's requests per user and per client address to
// the shared Redis request counter (internal/ratelimit), so every node
// shares one budget per caller.
type limiter struct {
	win *ratelimit.Window
	cfg RateLimitConfig
	log *slog.Logger
}

func newLimiter(rdb redis.UniversalClient, cfg RateLimitConfig, log *slog.Logger, now func() time.Time) *limiter {
	return &limiter{win: ratelimit.NewWindow(rdb, cfg.KeyPrefix, now), cfg: cfg, log: log}
}

// allowIP charges one request to the client address of r.
func (l *limiter) allowIP(r *http.Request) error {
	if l == nil {
		return nil
	}
	ip := clientip.Bucket(l.cfg.ClientIP.Addr(r))
	if ip == "" {
		return nil
	}
	return l.allow(r.Context(), "ip:"+ip, l.cfg.PerIP)
}

// allowUser charges one request to a signed-in user.
func (l *limiter) allowUser(ctx context.Context, userID string) error {
	if l == nil {
		return nil
	}
	return l.allow(ctx, "u:"+userID, l.cfg.PerUser)
}

// allow answers 429 with the seconds until the window ends once the budget
// is spent. When Redis fails the request is let through and the failure
// logged: an outage of the limiter must not become an outage of the API.
func (l *limiter) allow(ctx context.Context, who string, budget int) error {
	ok, retry, err := l.win.Allow(ctx, who, budget, l.cfg.Window)
	if err != nil {
		l.log.Warn("rate limiter unavailable; letting the request through", "err", err)
		return nil
	}
	if ok {
		return nil
	}
	return &Error{Status: http.StatusTooManyRequests, Code: "rate_limited", RetryAfter: ratelimit.RetryAfter(retry),
		Message: "too many requests; retry after the time in Retry-After"}
}
