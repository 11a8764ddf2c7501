package api

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// limiter counts requests per user and per client address in fixed windows
// kept in Redis, so every node shares one budget per caller. Fixed windows
// let a burst of twice the budget straddle a boundary; for shedding abuse
// that is good enough and costs one round trip.
type limiter struct {
	rdb redis.UniversalClient
	cfg RateLimitConfig
	log *slog.Logger
	now func() time.Time
}

func newLimiter(rdb redis.UniversalClient, cfg RateLimitConfig, log *slog.Logger, now func() time.Time) *limiter {
	return &limiter{rdb: rdb, cfg: cfg, log: log, now: now}
}

// countScript increments a window's counter and sets its expiry on the first
// hit, atomically, so a crash between the two can never leave a counter
// that never expires. It returns the count and the milliseconds left.
var countScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}
`)

// allowIP charges one request to a client address.
func (l *limiter) allowIP(ctx context.Context, ip string) error {
	if l == nil || ip == "" {
		return nil
	}
	return l.allow(ctx, "ip:"+ip, l.cfg.PerIP)
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
	window := l.cfg.Window
	slot := l.now().UnixMilli() / window.Milliseconds()
	key := l.cfg.KeyPrefix + who + ":" + strconv.FormatInt(slot, 10)
	res, err := countScript.Run(ctx, l.rdb, []string{key}, window.Milliseconds()).Int64Slice()
	if err != nil || len(res) != 2 {
		l.log.Warn("rate limiter unavailable; letting the request through", "err", err)
		return nil
	}
	if res[0] <= int64(budget) {
		return nil
	}
	retry := int((time.Duration(res[1])*time.Millisecond + time.Second - 1) / time.Second)
	return &Error{Status: http.StatusTooManyRequests, Code: "rate_limited", RetryAfter: max(retry, 1),
		Message: "too many requests; retry after the time in Retry-After"}
}

// clientIP is the caller's address: the trusted proxy header when one is
// configured and present, else the connection's peer.
func clientIP(r *http.Request, header string) string {
	if header != "" {
		if v := strings.TrimSpace(r.Header.Get(header)); v != "" {
			if i := strings.IndexByte(v, ','); i >= 0 {
				v = strings.TrimSpace(v[:i])
			}
			return v
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
