package auth

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/bidcast/bidcast/internal/clientip"
	"github.com/bidcast/bidcast/internal/ratelimit"
)

// limiter charges the auth endpoints' requests per client address to the
// shared Redis request counter (internal/ratelimit), so all nodes share one
// budget per client. Against password-less endpoints whose abuse is floods
// of logins and refreshes, a fixed window is enough.
type limiter struct {
	win *ratelimit.Window
	cfg RateLimitConfig
	log *slog.Logger
}

// allow charges one request of the given class ("login" or "token") to the
// client of r. When Redis fails the request goes through and the failure
// is logged: an outage of the limiter must not lock everyone out, and the
// endpoints behind it need Redis anyway.
func (l *limiter) allow(r *http.Request, class string, budget int) error {
	if l.cfg.Disabled {
		return nil
	}
	ip := clientip.Bucket(l.cfg.ClientIP.Addr(r))
	if ip == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	ok, retry, err := l.win.Allow(ctx, class+":"+ip, budget, l.cfg.Window)
	if err != nil {
		l.log.Warn("auth rate limiter unavailable; letting the request through", "err", err)
		return nil
	}
	if ok {
		return nil
	}
	return &RateLimitError{RetryAfter: ratelimit.RetryAfter(retry)}
}
