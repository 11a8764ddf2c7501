package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Window is a fixed-window request counter in Redis.
type Window struct {
	rdb    redis.UniversalClient
	prefix string
	now    func() time.Time
}

// NewWindow returns a counter whose keys start with prefix. now is the
// clock; nil means time.Now.
func NewWindow(rdb redis.UniversalClient, prefix string, now func() time.Time) *Window {
	if now == nil {
		now = time.Now
	}
	return &Window{rdb: rdb, prefix: prefix, now: now}
}

// countScript increments a window's counter and sets its expiry on the first
// hit, atomically, so a crash between the two can never leave a counter
// that never expires. It returns the count and the milliseconds left.
var countScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}
`)

// Allow charges one request to key in the current window of length per and
// reports whether it is within budget. When it is not, retry is the time
// until the window ends (see RetryAfter). An error means Redis did not
// answer; callers let the request through and log it.
func (w *Window) Allow(ctx context.Context, key string, budget int, per time.Duration) (ok bool, retry time.Duration, err error) {
	ms := per.Milliseconds()
	if ms <= 0 {
		return false, 0, fmt.Errorf("count request for %s: window %v is shorter than a millisecond", key, per)
	}
	slot := w.now().UnixMilli() / ms
	k := w.prefix + key + ":" + strconv.FormatInt(slot, 10)
	res, err := countScript.Run(ctx, w.rdb, []string{k}, ms).Int64Slice()
	if err == nil && len(res) != 2 {
		err = fmt.Errorf("unexpected reply %v", res)
	}
	if err != nil {
		return true, 0, fmt.Errorf("count request for %s: %w", key, err)
	}
	if res[0] <= int64(budget) {
		return true, 0, nil
	}
	return false, time.Duration(res[1]) * time.Millisecond, nil
}

// RetryAfter renders a wait as whole seconds for a Retry-After header,
// rounding up and never below one.
func RetryAfter(d time.Duration) int {
	return max(int((d+time.Second-1)/time.Second), 1)
}
