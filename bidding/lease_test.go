package bidding

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bidcast/bidcast/storage"
)

func TestHolderNode(t *testing.T) {
	tests := []struct{ value, node string }{
		{"node-a#0f0e", "node-a"},
		{"host-1-8080#ab#cd", "host-1-8080#ab"}, // a # in the node ID
		{"old-style", "old-style"},              // written before instances
		{"", ""},
	}
	for _, tc := range tests {
		if got := holderNode(tc.value); got != tc.node {
			t.Errorf("holderNode(%q) = %q, want %q", tc.value, got, tc.node)
		}
	}
}

// TestAcquireRules: a lease is taken when free, kept from other nodes,
// taken back from a dead instance of the same node, and renewed only by the
// instance that holds it.
func TestAcquireRules(t *testing.T) {
	rdb := testRedis(t)
	ctx := context.Background()
	room := newUUID()
	ttl := time.Minute
	mk := func(node, inst string) lease {
		return lease{rdb: rdb, roomID: room, node: node, holder: holder(node, inst), ttl: ttl, expiry: leaseExpiryKey}
	}
	old, restarted, other := mk("n1", "aaaa"), mk("n1", "bbbb"), mk("n2", "cccc")
	t.Cleanup(func() { rdb.Del(ctx, leaseKey(room)); rdb.ZRem(ctx, leaseExpiryKey, room) })

	steps := []struct {
		name          string
		l             lease
		ok, reclaimed bool
	}{
		{"free lease is taken", old, true, false},
		{"the holder does not take it twice", old, false, false},
		{"another node is kept out", other, false, false},
		{"a restarted instance of the node takes it back", restarted, true, true},
		{"the old instance cannot take it back", old, true, true}, // same node: twins flap, fencing keeps them safe
	}
	for _, s := range steps {
		ok, reclaimed, err := s.l.acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ok != s.ok || reclaimed != s.reclaimed {
			t.Fatalf("%s: acquire = %v, %v; want %v, %v", s.name, ok, reclaimed, s.ok, s.reclaimed)
		}
	}
	// old holds it now: restarted's renewal fails, old's succeeds.
	for _, tc := range []struct {
		l    lease
		held bool
	}{{restarted, false}, {old, true}, {other, false}} {
		held, err := renewMany(ctx, rdb, leaseExpiryKey, tc.l.holder, ttl, []string{room})
		if err != nil {
			t.Fatal(err)
		}
		if held[room] != tc.held {
			t.Fatalf("renew by %s: held = %v, want %v", tc.l.holder, held[room], tc.held)
		}
	}
	if owner, _ := Owner(ctx, rdb, room); owner != "n1" {
		t.Fatalf("Owner = %q, want n1", owner)
	}
	// A release by a non-holder frees nothing; the holder's does.
	_ = other.release(ctx)
	if owner, _ := Owner(ctx, rdb, room); owner != "n1" {
		t.Fatalf("released by a non-holder: owner %q", owner)
	}
	_ = old.release(ctx)
	if owner, _ := Owner(ctx, rdb, room); owner != "" {
		t.Fatalf("not released: owner %q", owner)
	}
}

// TestExpiredLeasesIndex: renewals push a room's expiry hint forward; a
// lapsed one shows in expiredLeases and a release removes it.
func TestExpiredLeasesIndex(t *testing.T) {
	rdb := testRedis(t)
	ctx := context.Background()
	room := newUUID()
	l := lease{rdb: rdb, roomID: room, node: "x", holder: holder("x", "1"), ttl: 300 * time.Millisecond, expiry: leaseExpiryKey}
	t.Cleanup(func() { rdb.Del(ctx, leaseKey(room)); rdb.ZRem(ctx, leaseExpiryKey, room) })
	if ok, _, err := l.acquire(ctx); !ok || err != nil {
		t.Fatalf("acquire = %v, %v", ok, err)
	}
	expired := func() bool {
		ids, err := expiredLeases(ctx, rdb, leaseExpiryKey, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if id == room {
				return true
			}
		}
		return false
	}
	if expired() {
		t.Fatal("a fresh lease is listed as expired")
	}
	waitFor(t, "the lease to lapse", expired)
	if _, err := renewMany(ctx, rdb, leaseExpiryKey, l.holder, time.Minute, []string{room}); err != nil {
		t.Fatal(err)
	}
	if expired() {
		t.Fatal("a renewed lease is still listed as expired")
	}
	_ = l.release(ctx)
	if n, _ := rdb.ZScore(ctx, leaseExpiryKey, room).Result(); n != 0 {
		t.Fatal("release left the expiry hint behind")
	}
}

// TestFenceStopsStaleOwnerCommit: once a new owner raises the room's fence,
// a commit checking the old token fails, and a commit in flight with the
// old token makes the raise wait until it ends (so it is restored by the
// new owner instead of overtaking it). TestStaleOwnerCannotCommitABid runs
// the rule through a room's real commits.
func TestFenceStopsStaleOwnerCommit(t *testing.T) {
	s := startLiveShow(t, "soft-close", 10*time.Minute)
	ctx := context.Background()
	fences := storage.NewFences(s.db)
	old, err := fences.RaiseFence(ctx, s.roomID)
	if err != nil {
		t.Fatal(err)
	}
	commit := func(token int64) error {
		return s.db.InTx(ctx, func(tx pgx.Tx) error { return storage.CheckFence(ctx, tx, s.roomID, token) })
	}
	if err := commit(old); err != nil {
		t.Fatalf("the owner's commit: %v", err)
	}
	if err := commit(0); err != nil {
		t.Fatalf("an unfenced commit: %v", err)
	}

	// The old owner is in the middle of a commit when the new one claims.
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := storage.CheckFence(ctx, tx, s.roomID, old); err != nil {
		t.Fatal(err)
	}
	raised := make(chan int64, 1)
	go func() {
		n, err := fences.RaiseFence(ctx, s.roomID)
		if err != nil {
			t.Error(err)
		}
		raised <- n
	}()
	select {
	case <-raised:
		t.Fatal("the raise overtook a commit in flight")
	case <-time.After(100 * time.Millisecond):
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	next := <-raised
	if next != old+1 {
		t.Fatalf("new token %d, want %d", next, old+1)
	}
	if err := commit(old); !errors.Is(err, storage.ErrFenced) {
		t.Fatalf("stale owner's commit = %v, want ErrFenced", err)
	}
	if err := commit(next); err != nil {
		t.Fatalf("the new owner's commit: %v", err)
	}
}
