package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/internal/testenv"
)

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

func prefix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "bidcast:test:rl:" + hex.EncodeToString(b[:]) + ":"
}

func TestWindow(t *testing.T) {
	now := time.Now()
	w := NewWindow(newRedis(t), prefix(), func() time.Time { return now })
	ctx := context.Background()
	for i := range 3 {
		if ok, _, err := w.Allow(ctx, "a", 3, time.Minute); !ok || err != nil {
			t.Fatalf("request %d: ok=%v err=%v", i+1, ok, err)
		}
	}
	ok, retry, err := w.Allow(ctx, "a", 3, time.Minute)
	if ok || err != nil || retry <= 0 || retry > time.Minute {
		t.Fatalf("4th request: ok=%v retry=%v err=%v", ok, retry, err)
	}
	if ok, _, _ := w.Allow(ctx, "b", 3, time.Minute); !ok {
		t.Fatal("another key shares the budget")
	}
	if RetryAfter(1500*time.Millisecond) != 2 || RetryAfter(0) != 1 {
		t.Fatal("RetryAfter does not round up to whole seconds")
	}
}

func TestSlotsCapAndRelease(t *testing.T) {
	s := NewSlots(newRedis(t), SlotsConfig{Prefix: prefix()})
	defer s.Close()
	ctx := context.Background()
	var leases []*Lease
	for i := range 3 {
		l, err := s.Acquire(ctx, Claim{"user:u1", 3}, Claim{"addr:a", 4})
		if err != nil {
			t.Fatalf("slot %d: %v", i+1, err)
		}
		leases = append(leases, l)
	}
	_, err := s.Acquire(ctx, Claim{"user:u1", 3}, Claim{"addr:a", 4})
	var full *FullError
	if !errors.As(err, &full) || full.Key != "user:u1" || !errors.Is(err, ErrFull) {
		t.Fatalf("4th slot of u1: %v, want the user key full", err)
	}
	// Another user at the same address takes the address's last slot,
	// and nothing was taken for the refused claim.
	l, err := s.Acquire(ctx, Claim{"user:u2", 3}, Claim{"addr:a", 4})
	if err != nil {
		t.Fatalf("u2: %v", err)
	}
	if _, err := s.Acquire(ctx, Claim{"user:u3", 3}, Claim{"addr:a", 4}); !errors.As(err, &full) || full.Key != "addr:a" {
		t.Fatalf("5th slot at the address: %v, want the address key full", err)
	}
	l.Release()
	l.Release() // idempotent
	if _, err := s.Acquire(ctx, Claim{"user:u3", 3}, Claim{"addr:a", 4}); err != nil {
		t.Fatalf("after a release: %v", err)
	}
	leases[0].Release()
	if _, err := s.Acquire(ctx, Claim{"user:u1", 3}); err != nil {
		t.Fatalf("u1 after a release: %v", err)
	}
	// Claims that are off are not counted.
	for range 10 {
		if _, err := s.Acquire(ctx, Claim{"user:u1", 0}, Claim{"", 5}); err != nil {
			t.Fatalf("an off claim: %v", err)
		}
	}
	var nilLease *Lease
	nilLease.Release()
}

func TestSlotsOfADeadNodeExpire(t *testing.T) {
	rdb := newRedis(t)
	p := prefix()
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	dead := NewSlots(rdb, SlotsConfig{Prefix: p, TTL: time.Hour, Now: clock})
	dead.Close() // a node that stops heartbeating and never releases
	ctx := context.Background()
	if _, err := dead.Acquire(ctx, Claim{"k", 1}); err != nil {
		t.Fatal(err)
	}
	live := NewSlots(rdb, SlotsConfig{Prefix: p, TTL: time.Hour, Now: clock})
	defer live.Close()
	if _, err := live.Acquire(ctx, Claim{"k", 1}); !errors.Is(err, ErrFull) {
		t.Fatalf("while the dead slot is fresh: %v", err)
	}
	mu.Lock()
	now = now.Add(time.Hour + time.Second)
	mu.Unlock()
	if _, err := live.Acquire(ctx, Claim{"k", 1}); err != nil {
		t.Fatalf("after the dead node's TTL: %v", err)
	}
}

func TestSlotsHeartbeatKeepsHeldSlots(t *testing.T) {
	rdb := newRedis(t)
	p := prefix()
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := NewSlots(rdb, SlotsConfig{Prefix: p, TTL: 30 * time.Millisecond, Now: clock})
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Acquire(ctx, Claim{"k", 1}); err != nil {
		t.Fatal(err)
	}
	// Move the clock on by much more than the TTL, and wait for a
	// heartbeat to renew the slot at the new time.
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	want := float64(clock().UnixMilli())
	deadline := time.Now().Add(10 * time.Second)
	for {
		zs, err := rdb.ZRangeWithScores(ctx, p+"k", 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(zs) == 1 && zs[0].Score > want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot not renewed: %v", zs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := s.Acquire(ctx, Claim{"k", 1}); !errors.Is(err, ErrFull) {
		t.Fatalf("the renewed slot was not counted: %v", err)
	}
}
