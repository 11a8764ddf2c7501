package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/internal/testenv"
)

func testRedis(t testing.TB) redis.UniversalClient {
	t.Helper()
	opts, err := redis.ParseURL(testenv.Require(t, "REDIS_URL"))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// fakeClock is a settable now for heartbeats and drop-outs.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// loadBox is a settable LoadFunc.
type loadBox struct {
	mu sync.Mutex
	l  Load
}

func (b *loadBox) get() Load            { b.mu.Lock(); defer b.mu.Unlock(); return b.l }
func (b *loadBox) set(l Load)           { b.mu.Lock(); defer b.mu.Unlock(); b.l = l }
func quiet() *slog.Logger               { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
func ctxT(t *testing.T) context.Context { return t.Context() }

// testCluster makes n registries on one private registry key and one clock.
func testCluster(t *testing.T, n int) ([]*Registry, []*loadBox, *fakeClock) {
	t.Helper()
	rdb := testRedis(t)
	key := "bidcast:test:cluster:" + randomID()
	t.Cleanup(func() { rdb.Del(context.Background(), key) })
	clock := &fakeClock{t: time.Now()}
	var regs []*Registry
	var loads []*loadBox
	for i := range n {
		lb := &loadBox{}
		id := string(rune('a'+i)) + "-" + key[len(key)-6:]
		r, err := New(Config{NodeID: id, PublicURL: "http://127.0.0.1:" + string(rune('1'+i)) + "000",
			Secret: "0123456789abcdef-secret"}, rdb, lb.get, quiet())
		if err != nil {
			t.Fatal(err)
		}
		r.nodesKey, r.now = key, clock.now
		regs, loads = append(regs, r), append(loads, lb)
	}
	return regs, loads, clock
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"minimal", Config{NodeID: "n", PublicURL: "http://h:1"}, true},
		{"no id", Config{PublicURL: "http://h:1"}, false},
		{"relative url", Config{NodeID: "n", PublicURL: "/x"}, false},
		{"short secret", Config{NodeID: "n", PublicURL: "http://h:1", Secret: "short"}, false},
		{"drop-out under two beats", Config{NodeID: "n", PublicURL: "http://h:1", Heartbeat: time.Second,
			DropAfter: time.Second}, false},
		{"negative", Config{NodeID: "n", PublicURL: "http://h:1", NodeViewers: -1}, false},
	}
	for _, tc := range tests {
		if err := tc.cfg.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: Validate() = %v", tc.name, err)
		}
	}
}

// TestHeartbeatListAndDropOut: beating nodes are listed with their load,
// a node that stops beating drops out after DropAfter, and a node that
// leaves cleanly is gone at once.
func TestHeartbeatListAndDropOut(t *testing.T) {
	regs, loads, clock := testCluster(t, 3)
	ctx := ctxT(t)
	loads[0].set(Load{Viewers: 7, Publishers: 1})
	for _, r := range regs {
		if err := r.Beat(ctx); err != nil {
			t.Fatal(err)
		}
	}
	nodes, err := regs[0].Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 3 || nodes[0].ID != regs[0].Self() || nodes[0].Viewers != 7 || nodes[0].Publishers != 1 ||
		nodes[0].PublicURL != "http://127.0.0.1:1000" || nodes[0].Cores < 1 {
		t.Fatalf("nodes = %+v", nodes)
	}

	// Node c stops beating; a and b go on.
	clock.add(2 * time.Second)
	_ = regs[0].Beat(ctx)
	_ = regs[1].Beat(ctx)
	if nodes, _ := regs[0].Nodes(ctx); len(nodes) != 3 {
		t.Fatalf("a node dropped out before DropAfter: %d listed", len(nodes))
	}
	clock.add(2 * time.Second) // c silent for 4 s > 3 s
	_ = regs[0].Beat(ctx)
	_ = regs[1].Beat(ctx)
	nodes, _ = regs[0].Nodes(ctx)
	if len(nodes) != 2 || nodes[1].ID != regs[1].Self() {
		t.Fatalf("after c's silence: %+v", nodes)
	}

	// b leaves cleanly: gone at once.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := regs[1].Run(cctx); err != nil {
		t.Fatal(err)
	}
	if nodes, _ := regs[0].Nodes(ctx); len(nodes) != 1 {
		t.Fatalf("after b left: %+v", nodes)
	}
}

// TestOriginFollowsPublisher: the origin is set when a publisher joins, is
// cleared only by its own node, lapses when its node stops beating, and
// follows the publisher to another node.
func TestOriginFollowsPublisher(t *testing.T) {
	regs, loads, clock := testCluster(t, 2)
	ctx := ctxT(t)
	a, b := regs[0], regs[1]
	room := randomID()
	t.Cleanup(func() { a.rdb.Del(context.Background(), originKey(room), relaysKey(room)) })
	_ = a.Beat(ctx)
	_ = b.Beat(ctx)
	if _, ok, _ := b.Origin(ctx, room); ok {
		t.Fatal("a room nobody publishes has an origin")
	}
	a.SetOrigin(ctx, room)
	loads[0].set(Load{Publishers: 1, Origins: []string{room}})
	if n, ok, err := b.Origin(ctx, room); err != nil || !ok || n.ID != a.Self() {
		t.Fatalf("Origin = %+v, %v, %v; want a", n, ok, err)
	}
	b.ClearOrigin(ctx, room) // not b's to clear
	if n, ok, _ := b.Origin(ctx, room); !ok || n.ID != a.Self() {
		t.Fatal("another node cleared the origin")
	}
	// a dies: its entry lapses, and so does the room's origin.
	clock.add(4 * time.Second)
	_ = b.Beat(ctx)
	if _, ok, _ := b.Origin(ctx, room); ok {
		t.Fatal("a dead node is still the origin")
	}
	// The publisher reconnects to b.
	b.SetOrigin(ctx, room)
	if n, ok, _ := a.Origin(ctx, room); !ok || n.ID != b.Self() {
		t.Fatalf("origin after the publisher moved: %+v, %v", n, ok)
	}
}

// TestPlace: a lone node never redirects; viewers go to the least loaded
// node already holding the room's media that has room, else the least
// loaded node of all; this node wins ties.
func TestPlace(t *testing.T) {
	tests := []struct {
		name    string
		viewers [3]int
		origin  int   // index of the origin, -1 for none
		relays  []int // indexes relaying
		asker   int
		want    int
		silent  int // index of a node that missed its last heartbeat, -1 for none
	}{
		{"viewers go to an edge, not the origin", [3]int{10, 0, 0}, 0, nil, 0, 1, -1},
		{"an idle edge keeps its viewer", [3]int{10, 0, 0}, 0, nil, 2, 2, -1},
		{"asker already relays", [3]int{10, 20, 0}, 0, []int{1}, 1, 1, -1},
		{"to the node relaying the room", [3]int{300, 100, 0}, 0, []int{1}, 2, 1, -1},
		{"least loaded relay", [3]int{0, 300, 100}, 0, []int{1, 2}, 0, 2, -1},
		{"relays full: least loaded other node", [3]int{0, 600, 50}, 0, []int{1}, 0, 2, -1},
		{"full asker relaying: moves on", [3]int{10, 500, 50}, 0, []int{1}, 1, 2, -1},
		{"everyone full but the origin: stay", [3]int{10, 500, 600}, 0, []int{1}, 1, 1, -1},
		{"tie between relays: stay", [3]int{0, 0, 0}, 0, []int{1, 2}, 2, 2, -1},
		{"nobody publishes: stay", [3]int{100, 0, 0}, -1, nil, 0, 0, -1},
		{"a silent relay gets nobody", [3]int{0, 0, 100}, 0, []int{1, 2}, 0, 2, 1},
		{"a silent edge gets nobody", [3]int{10, 0, 50}, 0, nil, 0, 2, 1},
		{"only silent nodes: stay", [3]int{10, 0, 0}, 0, []int{1}, 2, 2, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			regs, loads, clock := testCluster(t, 3)
			ctx := ctxT(t)
			room := randomID()
			t.Cleanup(func() { regs[0].rdb.Del(context.Background(), originKey(room), relaysKey(room)) })
			for i, r := range regs {
				loads[i].set(Load{Viewers: tc.viewers[i]})
				if i != tc.silent {
					_ = r.Beat(ctx)
				}
			}
			if tc.silent >= 0 {
				// Its last beat is two heartbeats older than the others'.
				clock.add(-2 * time.Second)
				_ = regs[tc.silent].Beat(ctx)
				clock.add(2 * time.Second)
			}
			if tc.origin >= 0 {
				regs[tc.origin].SetOrigin(ctx, room)
			}
			for _, i := range tc.relays {
				regs[i].SetRelay(ctx, room, true)
			}
			n, self, err := regs[tc.asker].Place(ctx, room)
			if err != nil {
				t.Fatal(err)
			}
			got := tc.asker
			if !self {
				for i, r := range regs {
					if r.Self() == n.ID {
						got = i
					}
				}
			}
			if got != tc.want || self != (tc.want == tc.asker) {
				t.Fatalf("Place from %d = node %d (self %v), want %d", tc.asker, got, self, tc.want)
			}
		})
	}
}

func TestLoneNodeNeverRedirects(t *testing.T) {
	regs, _, _ := testCluster(t, 1)
	ctx := ctxT(t)
	room := randomID()
	_ = regs[0].Beat(ctx)
	if _, self, err := regs[0].Place(ctx, room); err != nil || !self {
		t.Fatalf("Place on a lone node = self %v, %v", self, err)
	}
}

func TestCPUMeter(t *testing.T) {
	var m cpuMeter
	start := time.Now()
	if got := m.read(start); got != 0 {
		t.Fatalf("first reading = %v, want 0", got)
	}
	// Burn some CPU, then read: a share within [0, 1].
	for x := 0; time.Since(start) < 20*time.Millisecond; x++ {
		_ = x * x
	}
	if got := m.read(time.Now()); got < 0 || got > 1 {
		t.Fatalf("reading = %v", got)
	}
}

// TestTwinNodeIDIsNoticed: a restarted node finding its dead predecessor's
// entry once is fine; two live processes with one NODE_ID are noticed.
func TestTwinNodeIDIsNoticed(t *testing.T) {
	regs, _, _ := testCluster(t, 1)
	ctx := ctxT(t)
	a := regs[0]
	twin, err := New(a.cfg, a.rdb, func() Load { return Load{} }, quiet())
	if err != nil {
		t.Fatal(err)
	}
	twin.nodesKey, twin.now = a.nodesKey, a.now

	// Restart: the old instance beat, then died; the new one beats on.
	_ = a.Beat(ctx)
	for range 3 {
		_ = twin.Beat(ctx)
	}
	if twin.Twinned() {
		t.Fatal("a restarted node took its dead predecessor for a twin")
	}
	// Both alive, beating in turn.
	for range 3 {
		_ = a.Beat(ctx)
		_ = twin.Beat(ctx)
	}
	if !a.Twinned() || !twin.Twinned() {
		t.Fatal("two live processes with one NODE_ID were not noticed")
	}
}
