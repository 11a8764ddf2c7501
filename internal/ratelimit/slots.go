package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Claim asks for one slot under Key, of which at most Max may be held at
// once. A Claim with an empty Key or a Max of zero or less is not counted
// (the limit is off, or the client has no such identity).
type Claim struct {
	Key string
	Max int
}

// FullError is returned by Acquire when a claim's key already holds Max
// slots. Key is the claim's key, so callers can say which limit was hit.
type FullError struct {
	Key string
	Max int
}

// Error implements error.
func (e *FullError) Error() string {
	return fmt.Sprintf("ratelimit: %s holds its maximum of %d", e.Key, e.Max)
}

// ErrFull matches every *FullError with errors.Is.
var ErrFull = errors.New("ratelimit: slots full")

// Is makes errors.Is(err, ErrFull) true.
func (e *FullError) Is(target error) bool { return target == ErrFull }

// SlotsConfig configures Slots.
type SlotsConfig struct {
	// Prefix starts every Redis key. Required.
	Prefix string
	// TTL is how long a slot outlives its node's last heartbeat. Zero means
	// 60 seconds; heartbeats run every TTL/3.
	TTL time.Duration
	// Log receives heartbeat failures. Nil discards them.
	Log *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Slots counts held slots per key across nodes.
type Slots struct {
	rdb redis.UniversalClient
	cfg SlotsConfig

	mu   sync.Mutex
	held map[*Lease]struct{}

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// Lease is a set of slots taken together by Acquire. Release frees them;
// it is idempotent and safe to call from any goroutine.
type Lease struct {
	s      *Slots
	member string
	keys   []string
	once   sync.Once
}

// NewSlots returns a running Slots; Close stops its heartbeat.
func NewSlots(rdb redis.UniversalClient, cfg SlotsConfig) *Slots {
	if cfg.TTL <= 0 {
		cfg.TTL = time.Minute
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Slots{rdb: rdb, cfg: cfg, held: map[*Lease]struct{}{}, stop: make(chan struct{}), done: make(chan struct{})}
	go s.heartbeat()
	return s
}

// acquireScript takes one slot in every key or in none. For each key it
// first drops members whose expiry has passed (slots of dead nodes), then
// checks the count. It returns 0, or the 1-based index of the first full
// key. ARGV: now ms, expiry ms, key TTL ms, member, then one max per key.
var acquireScript = redis.NewScript(`
for i, k in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', k, '-inf', ARGV[1])
  if redis.call('ZCARD', k) >= tonumber(ARGV[4 + i]) then return i end
end
for _, k in ipairs(KEYS) do
  redis.call('ZADD', k, ARGV[2], ARGV[4])
  redis.call('PEXPIRE', k, ARGV[3])
end
return 0
`)

// Acquire takes one slot under every claim, all or nothing. It returns a
// *FullError when a claim's key is full. Claims that are off are skipped;
// when none is left Acquire returns a Lease that holds nothing. An error of
// any other kind means Redis did not answer: callers let the client in
// (with the returned nil Lease, whose Release does nothing) and log it.
func (s *Slots) Acquire(ctx context.Context, claims ...Claim) (*Lease, error) {
	var keys []string
	args := []any{0, 0, 0, ""}
	for _, c := range claims {
		if c.Key == "" || c.Max <= 0 {
			continue
		}
		keys = append(keys, s.cfg.Prefix+c.Key)
		args = append(args, c.Max)
	}
	l := &Lease{s: s, member: newMember(), keys: keys}
	if len(keys) == 0 {
		return l, nil
	}
	now := s.cfg.Now()
	args[0] = now.UnixMilli()
	args[1] = now.Add(s.cfg.TTL).UnixMilli()
	args[2] = (2 * s.cfg.TTL).Milliseconds()
	args[3] = l.member
	i, err := acquireScript.Run(ctx, s.rdb, keys, args...).Int()
	if err != nil {
		return nil, fmt.Errorf("acquire slots %v: %w", keys, err)
	}
	if i > 0 {
		for _, c := range claims {
			if s.cfg.Prefix+c.Key == keys[i-1] {
				return nil, &FullError{Key: c.Key, Max: c.Max}
			}
		}
	}
	s.mu.Lock()
	s.held[l] = struct{}{}
	s.mu.Unlock()
	return l, nil
}

// Release frees the lease's slots. A nil Lease is allowed.
func (l *Lease) Release() {
	if l == nil {
		return
	}
	l.once.Do(func() {
		if len(l.keys) == 0 {
			return
		}
		l.s.mu.Lock()
		delete(l.s.held, l)
		l.s.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := l.s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range l.keys {
				p.ZRem(ctx, k, l.member)
			}
			return nil
		})
		if err != nil {
			// The slot expires by itself after the TTL.
			l.s.cfg.Log.Warn("release slots failed; they expire by themselves", "keys", l.keys, "err", err)
		}
	})
}

// heartbeat pushes the expiry of every held slot forward every TTL/3.
func (s *Slots) heartbeat() {
	defer close(s.done)
	t := time.NewTicker(s.cfg.TTL / 3)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.refresh()
		}
	}
}

// refresh renews every held slot in one pipeline.
func (s *Slots) refresh() {
	s.mu.Lock()
	leases := make([]*Lease, 0, len(s.held))
	for l := range s.held {
		leases = append(leases, l)
	}
	s.mu.Unlock()
	if len(leases) == 0 {
		return
	}
	// XX: a slot released meanwhile is not brought back.
	expiry := float64(s.cfg.Now().Add(s.cfg.TTL).UnixMilli())
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.TTL/3)
	defer cancel()
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		seen := map[string]bool{}
		for _, l := range leases {
			for _, k := range l.keys {
				p.ZAddXX(ctx, k, redis.Z{Score: expiry, Member: l.member})
				if !seen[k] {
					seen[k] = true
					p.PExpire(ctx, k, 2*s.cfg.TTL)
				}
			}
		}
		return nil
	})
	if err != nil {
		s.cfg.Log.Warn("renew connection slots failed", "err", err)
	}
}

// Close stops the heartbeat. Held slots stay until released or expired.
func (s *Slots) Close() {
	s.once.Do(func() { close(s.stop) })
	<-s.done
}

func newMember() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
