package auth

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

// limiter counts requests per client address in fixed windows kept in
// Redis, so all nodes share one budget per client. A fixed window lets a
// burst of twice the budget straddle a boundary; against password-less
// endpoints whose abuse is floods of logins and refreshes, that is enough,
// and it costs one round trip.
type limiter struct {
	rdb    redis.UniversalClient
	cfg    RateLimitConfig
	prefix string
	log    *slog.Logger
	now    func() time.Time
}

// limitScript increments a window's counter and sets its expiry on the
// first hit in one step, so a crash between the two cannot leave a counter
// that never expires. It returns the count and the milliseconds left.
var limitScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}
`)

// allow charges one request of the given class ("login" or "token") to the
// client of r. When Redis fails the request goes through and the failure
// is logged: an outage of the limiter must not lock everyone out, and the
// endpoints behind it need Redis anyway.
func (l *limiter) allow(r *http.Request, class string, budget int) error {
	if l.cfg.Disabled {
		return nil
	}
	ip := clientIP(r, l.cfg.ClientIPHeader)
	window := l.cfg.Window.Milliseconds()
	slot := l.now().UnixMilli() / window
	key := l.prefix + class + ":" + ip + ":" + strconv.FormatInt(slot, 10)
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	res, err := limitScript.Run(ctx, l.rdb, []string{key}, window).Int64Slice()
	if err != nil || len(res) != 2 {
		l.log.Warn("auth rate limiter unavailable; letting the request through", "err", err)
		return nil
	}
	if res[0] <= int64(budget) {
		return nil
	}
	retry := int((time.Duration(res[1])*time.Millisecond + time.Second - 1) / time.Second)
	return &RateLimitError{RetryAfter: max(retry, 1)}
}

// clientIP is the caller's address: the trusted proxy's header when one is
// configured and present (its first entry for X-Forwarded-For), else the
// connection's peer.
func clientIP(r *http.Request, header string) string {
	if header != "" {
		if v := strings.TrimSpace(r.Header.Get(header)); v != "" {
			if i := strings.IndexByte(v, ','); i >= 0 {
				v = strings.TrimSpace(v[:i])
			}
			if len(v) <= 64 {
				return v
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
