package signaling

import (
	"bytes"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bidcast/bidcast/events"
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestPoolConnWritesAllAndReportsBlocking: a poolConn over a real TCP
// socket writes everything, in order, across a peer that reads slowly; a
// write that has to wait for the socket gives its worker's place up once
// (the pool's count drops), and release says so, so the worker takes a
// place back.
func TestPoolConnWritesAllAndReportsBlocking(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	peer := <-accepted
	if peer == nil {
		t.Fatal("accept failed")
	}
	defer peer.Close()
	pc := newPoolConn(nc)
	if pc.raw == nil {
		t.Fatal("a TCP socket should give a RawConn")
	}

	// 8 MiB is far more than the two socket buffers hold: the write must
	// wait for the reader, which starts only once the pool heard of it.
	want := bytes.Repeat([]byte("0123456789abcdef"), 8<<20/16)
	p := newWritePool(1)
	p.active = 1 // as if a worker ran this write
	got := make(chan []byte, 1)
	go func() {
		waitFor(t, "the write to report blocking", func() bool { a, _ := p.stats(); return a == 0 })
		b, _ := io.ReadAll(peer)
		got <- b
	}()
	pc.claim(p)
	n, err := pc.Write(want)
	if err != nil || n != len(want) {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(want))
	}
	if !pc.release() {
		t.Fatal("release should report the hand-over")
	}
	p.unblocked()
	if a, _ := p.stats(); a != 1 {
		t.Fatalf("active = %d after the worker took its place back, want 1", a)
	}
	nc.Close()
	if b := <-got; !bytes.Equal(b, want) {
		t.Fatalf("peer read %d bytes, not what was written (%d)", len(b), len(want))
	}

	// A write that does not wait keeps its place.
	nc2, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc2.Close()
	pc2 := newPoolConn(nc2)
	pc2.claim(p)
	if _, err := pc2.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if pc2.release() {
		t.Fatal("a write that did not wait reported a hand-over")
	}
}

// TestBlockedWriteDoesNotHoldThePool: with a pool of one worker, a client
// that stops reading blocks a write to it, and everyone else still gets
// every event meanwhile (the blocked worker handed its place over); once
// the stuck client is gone, the pool's workers all end.
func TestBlockedWriteDoesNotHoldThePool(t *testing.T) {
	e := newEnv(t)
	g, srv := e.gateway(func(c *Config) { c.SendBuffer = 4096; c.WriteTimeout = time.Minute; c.EventInterval = -1 })
	g.pool = newWritePool(1) // before any connection: the pool is idle
	fast, stuck := dial(t, srv, "fast"), dial(t, srv, "stuck")
	fast.join(e.room.ID)
	stuck.join(e.room.ID) // and never reads again

	big := strings.Repeat("x", 128<<10)
	blocked := func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		for c := range g.conns {
			if c.pc != nil && c.pc.stalled.Load() {
				return true
			}
		}
		return false
	}
	// Publish until a write to the stuck client waits for its socket,
	// then a few more: the fast client gets each while that write waits.
	for i, after := 0, 0; after < 5; i++ {
		if i == 2000 {
			t.Fatal("no write blocked after 2,000 events of 128 KiB")
		}
		if blocked() {
			after++
		}
		if _, err := e.events.Publish(context.Background(), events.Event{Type: "lot.note", RoomID: e.room.ID,
			At: time.Now().UTC(), Data: []byte(`{"i":` + strconv.Itoa(i) + `,"pad":"` + big + `"}`)}, nil); err != nil {
			t.Fatal(err)
		}
		fast.expect("lot.note")
	}
	if !blocked() {
		t.Fatal("the stuck client's write no longer waits; the test proved nothing")
	}

	stuck.ws.CloseNow()
	fast.ws.CloseNow()
	waitFor(t, "the connections to end", func() bool { return g.Stats().Connections == 0 })
	waitFor(t, "the pool's workers to end", func() bool { a, w := g.pool.stats(); return a == 0 && w == 0 })
}

// heldWriters counts g's connections whose writer is parked in the pool.
func heldWriters(g *Gateway) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for c := range g.conns {
		c.wmu.Lock()
		if c.held {
			n++
		}
		c.wmu.Unlock()
	}
	return n
}

// TestPoolParksHeldWriters: a writer that must hold events for
// EventInterval is parked in the pool (no goroutine of its own) and the
// pool's timer sends the events, in order, when the hold ends; a
// connection that closes during a hold ends it at once, and the pool's
// workers all end.
func TestPoolParksHeldWriters(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name     string
		interval time.Duration
		close    bool
	}{
		{"the timer ends the hold", time.Second, false},
		{"closing ends the hold", time.Minute, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, srv := e.gateway(func(c *Config) { c.EventInterval = tc.interval })
			bob := dial(t, srv, "bob")
			bob.join(e.room.ID)
			first := e.publish("lot.note", "", map[string]int{"i": 1})
			if env := bob.next(); env.Seq != first {
				t.Fatalf("first event: %s seq %d, want seq %d", env.Type, env.Seq, first)
			}
			second := e.publish("lot.note", "", map[string]int{"i": 2})
			third := e.publish("lot.note", "", map[string]int{"i": 3})
			waitFor(t, "the writer to park", func() bool { return heldWriters(g) == 1 })
			if tc.close {
				bob.ws.CloseNow()
				waitFor(t, "the connection to end", func() bool { return g.Stats().Connections == 0 })
			} else {
				for _, want := range []int64{second, third} {
					if env := bob.next(); env.Seq != want {
						t.Fatalf("got %s seq %d, want seq %d", env.Type, env.Seq, want)
					}
				}
				bob.ws.CloseNow()
			}
			waitFor(t, "the pool's workers to end", func() bool {
				a, w := g.pool.stats()
				return a == 0 && w == 0 && heldWriters(g) == 0
			})
		})
	}
}

// TestPoolConnWithoutRawSocket: a socket with no RawConn (TLS, a pipe)
// writes through as it is. (Such a socket cannot report a blocked write,
// so startWriterLocked runs its connection's writer on a goroutine of its
// own, not on the pool.)
func TestPoolConnWithoutRawSocket(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	pc := newPoolConn(a)
	if pc.raw != nil {
		t.Fatal("a pipe has no RawConn")
	}
	go func() { _, _ = pc.Write([]byte("hi")) }()
	buf := make([]byte, 2)
	if _, err := io.ReadFull(b, buf); err != nil || string(buf) != "hi" {
		t.Fatalf("read %q, %v", buf, err)
	}
}
