package cluster

import (
	"context"
	"testing"
	"time"
)

func TestSFULink(t *testing.T) {
	regs, _, _ := testCluster(t, 2)
	ctx := ctxT(t)
	a, b := regs[0], regs[1]
	room := randomID()
	t.Cleanup(func() { a.rdb.Del(context.Background(), originKey(room), relaysKey(room)) })
	_ = a.Beat(ctx)
	_ = b.Beat(ctx)

	if ta, tb := a.SFU().RelayToken(room), b.SFU().RelayToken(room); ta == "" || ta != tb {
		t.Fatalf("relay tokens differ between nodes: %q, %q", ta, tb)
	}
	if a.SFU().RelayToken(room) == a.SFU().RelayToken(room+"x") {
		t.Fatal("one relay token opens two rooms")
	}
	if _, ok, _ := b.SFU().Locate(ctx, room); ok {
		t.Fatal("located an origin for a room nobody publishes")
	}

	// a's publisher joins: recorded through the event queue while a runs.
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	a.SFU().MediaChanged(room, false, true)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if u, ok, _ := b.SFU().Locate(ctx, room); ok {
			if u != "http://127.0.0.1:1000/whep/"+room {
				t.Fatalf("Locate = %q", u)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the origin was not recorded")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, ok, _ := a.SFU().Locate(ctx, room); ok {
		t.Fatal("the origin located itself as another node")
	}
	// Placement: viewers go to b (it will relay), not to the origin a.
	if u, err := b.SFU().Place(ctx, room); err != nil || u != "" {
		t.Fatalf("Place from b = %q, %v; want here", u, err)
	}
	if u, err := a.SFU().Place(ctx, room); err != nil || u != "http://127.0.0.1:2000/whep/"+room {
		t.Fatalf("Place from a = %q, %v; want b", u, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// a left cleanly: no origin any more.
	if _, ok, _ := b.SFU().Locate(ctx, room); ok {
		t.Fatal("a node that left is still the origin")
	}

	// Without a secret nobody relays: viewers are sent to the origin.
	b.cfg.Secret = ""
	a.SetOrigin(ctx, room)
	_ = a.Beat(ctx)
	if b.SFU().RelayToken(room) != "" {
		t.Fatal("a relay token without a secret")
	}
	if u, err := b.SFU().Place(ctx, room); err != nil || u != "http://127.0.0.1:1000/whep/"+room {
		t.Fatalf("Place without relaying = %q, %v; want the origin", u, err)
	}
}
