package bidding

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/events"
	"github.com/bidcast/bidcast/storage"
)

type staticRooms []string

func (s staticRooms) LiveRoomIDs(context.Context) ([]string, error) { return s, nil }

// countingRunner records which rooms it runs.
type countingRunner struct {
	mu      sync.Mutex
	running map[string]int
	started map[string]int // how many times each room was started
}

type stopFunc func()

func (f stopFunc) Stop() { f() }

func (r *countingRunner) StartRoom(_ context.Context, id string) (RunningRoom, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running == nil {
		r.running, r.started = map[string]int{}, map[string]int{}
	}
	r.running[id]++
	r.started[id]++
	return stopFunc(func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.running[id]--
	}), nil
}

func (r *countingRunner) count(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.running[id]
}

func TestSecondNodeTakesOverKilledOwnerWithin10s(t *testing.T) {
	rdb := testRedis(t)
	room := newUUID()
	rooms := staticRooms{room}

	// Node A claims the room, then "dies": it never renews or releases.
	runA := &countingRunner{}
	a, err := NewNode(NodeConfig{NodeID: "node-a-" + room[:8]}, rdb, rooms, runA, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	a.claim(context.Background())
	if runA.count(room) != 1 {
		t.Fatal("node A did not claim the room")
	}

	// Node B runs with the default lease settings.
	runB := &countingRunner{}
	b, err := NewNode(NodeConfig{NodeID: "node-b-" + room[:8]}, rdb, rooms, runB, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	killed := time.Now()
	go func() { done <- b.Run(ctx) }()
	waitFor(t, "node B to take over", func() bool { return runB.count(room) == 1 })
	took := time.Since(killed)
	t.Logf("takeover took %s", took.Round(10*time.Millisecond))
	if took > 10*time.Second {
		t.Fatalf("takeover took %s, want within 10 s", took)
	}
	if owner, _ := Owner(context.Background(), rdb, room); owner != b.cfg.NodeID {
		t.Fatalf("owner = %q, want node B", owner)
	}
	// A second scan by B does not start the room twice.
	b.claim(context.Background())
	if runB.count(room) != 1 {
		t.Fatalf("node B runs the room %d times", runB.count(room))
	}
	cancel()
	<-done
	if runB.count(room) != 0 {
		t.Fatal("node B did not stop the room on shutdown")
	}
	if owner, _ := Owner(context.Background(), rdb, room); owner != "" {
		t.Fatalf("lease not released on shutdown: owner %q", owner)
	}
}

func TestNodeStopsRoomWhenLeaseIsTaken(t *testing.T) {
	rdb := testRedis(t)
	room := newUUID()
	run := &countingRunner{}
	n, err := NewNode(NodeConfig{NodeID: "n-" + room[:8], LeaseTTL: time.Second}, rdb, staticRooms{room}, run, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	n.claim(context.Background())
	// Another node's claim replaces ours (as after a long pause of ours).
	rdb.Set(context.Background(), leaseKey(room), "intruder", time.Minute)
	n.renewAll(context.Background())
	if run.count(room) != 0 || len(n.Owned()) != 0 {
		t.Fatal("room still running after its lease was lost")
	}
	if owner, _ := Owner(context.Background(), rdb, room); owner != "intruder" {
		t.Fatalf("a lost lease was released by the loser: owner %q", owner)
	}
}

// slowRunner starts rooms slowly, like real rooms restored from Postgres
// with their queue servers.
type slowRunner struct {
	countingRunner
	delay time.Duration
}

func (r *slowRunner) StartRoom(ctx context.Context, id string) (RunningRoom, error) {
	time.Sleep(r.delay)
	return r.countingRunner.StartRoom(ctx, id)
}

// TestLongClaimKeepsEarlierLeases claims more rooms than can be started
// within one lease: the leases of the rooms started first are renewed
// while the rest start, so no room is lost and started twice.
func TestLongClaimKeepsEarlierLeases(t *testing.T) {
	rdb := testRedis(t)
	var rooms staticRooms
	for range 12 {
		rooms = append(rooms, newUUID())
	}
	run := &slowRunner{delay: 150 * time.Millisecond}
	n, err := NewNode(NodeConfig{NodeID: "slow-" + rooms[0][:8], LeaseTTL: time.Second, ScanInterval: 200 * time.Millisecond},
		rdb, rooms, run, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	waitFor(t, "every room to start", func() bool { return len(n.Owned()) == len(rooms) })
	time.Sleep(1500 * time.Millisecond) // more than a lease
	for _, id := range rooms {
		run.mu.Lock()
		starts := run.started[id]
		run.mu.Unlock()
		if starts != 1 {
			t.Errorf("room %s started %d times, want once", id[:8], starts)
		}
	}
	cancel()
	<-done
}

// overlapRunner runs rooms whose Stop takes a while, and records the most
// instances of one room ever running at once.
type overlapRunner struct {
	mu      sync.Mutex
	active  map[string]int
	starts  int
	maxSeen int
}

func (r *overlapRunner) StartRoom(_ context.Context, id string) (RunningRoom, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.active[id]++
	r.starts++
	r.maxSeen = max(r.maxSeen, r.active[id])
	return stopFunc(func() {
		time.Sleep(400 * time.Millisecond) // bids in flight finishing
		r.mu.Lock()
		r.active[id]--
		r.mu.Unlock()
	}), nil
}

// TestLostLeaseStopsBeforeReclaim loses a room's lease while the room is
// slow to stop: the node claims it again only once the old instance is
// gone, so two instances never apply bids side by side.
func TestLostLeaseStopsBeforeReclaim(t *testing.T) {
	rdb := testRedis(t)
	room := newUUID()
	run := &overlapRunner{active: map[string]int{}}
	n, err := NewNode(NodeConfig{NodeID: "o-" + room[:8], LeaseTTL: 600 * time.Millisecond,
		ScanInterval: 20 * time.Millisecond}, rdb, staticRooms{room}, run, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	waitFor(t, "the room to start", func() bool { return len(n.Owned()) == 1 })
	// Another node takes the lease for a moment (as after a long pause).
	rdb.Set(context.Background(), leaseKey(room), "intruder", 100*time.Millisecond)
	waitFor(t, "the room to be claimed again", func() bool {
		run.mu.Lock()
		defer run.mu.Unlock()
		return run.starts == 2
	})
	cancel()
	<-done
	if run.maxSeen > 1 {
		t.Fatalf("%d instances of the room ran at once", run.maxSeen)
	}
}

// fenceRunner records the fence each start ran under.
type fenceRunner struct {
	countingRunner
	fences []Fence
}

func (r *fenceRunner) StartRoom(ctx context.Context, id string) (RunningRoom, error) {
	f, _ := FenceFrom(ctx)
	r.mu.Lock()
	r.fences = append(r.fences, f)
	r.mu.Unlock()
	return r.countingRunner.StartRoom(ctx, id)
}

type countingFences struct {
	mu    sync.Mutex
	token int64
}

func (c *countingFences) RaiseFence(context.Context, string) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token++
	return c.token, nil
}

// TestRestartedNodeReclaimsAtOnce: a node killed without releasing its
// leases and started again with the same NODE_ID takes its rooms back in its
// first claim, without waiting for the old leases to lapse, and each start
// carries a newer fencing token than the last.
func TestRestartedNodeReclaimsAtOnce(t *testing.T) {
	rdb := testRedis(t)
	room := newUUID()
	fences := &countingFences{}
	cfg := NodeConfig{NodeID: "stable-" + room[:8], LeaseTTL: time.Minute, Fences: fences}
	runOld := &fenceRunner{}
	old, err := NewNode(cfg, rdb, staticRooms{room}, runOld, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	old.claim(context.Background()) // then killed: never renews, never releases

	// Another node cannot take it: the lease is a minute long.
	other, _ := NewNode(NodeConfig{NodeID: "other-" + room[:8], LeaseTTL: time.Minute}, rdb, staticRooms{room},
		&countingRunner{}, quietLog())
	other.claim(context.Background())
	if len(other.Owned()) != 0 {
		t.Fatal("another node took a room whose lease is held")
	}

	runNew := &fenceRunner{}
	restarted, err := NewNode(cfg, rdb, staticRooms{room}, runNew, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	restarted.claim(context.Background())
	if runNew.count(room) != 1 {
		t.Fatal("the restarted node did not reclaim its room at once")
	}
	if got := runNew.fences[0]; got.RoomID != room || got.Token != runOld.fences[0].Token+1 {
		t.Fatalf("fence of the reclaim = %+v, want room %s token %d", got, room, runOld.fences[0].Token+1)
	}
	// The dead instance, should it still be alive after all, loses the room
	// at its next renewal.
	old.renewAll(context.Background())
	if runOld.count(room) != 0 {
		t.Fatal("the old instance kept running a room its restarted self took")
	}
	t.Cleanup(restarted.stopAll)
}

// TestTakeoverDecidesFirstBidQuickly runs a real room on node A, kills A
// (its room stops, its lease is neither renewed nor released) and measures,
// from A's last renewal, how long node B with the default lease settings
// takes to decide a bid sent at the moment of the kill. The target (2 s) is
// reported, not asserted tightly: the bound checked leaves room for a
// loaded machine.
func TestTakeoverDecidesFirstBidQuickly(t *testing.T) {
	s := startLiveShow(t, "soft-close", 10*time.Minute)
	first := s.nextMinimum()
	s.room.Stop() // the harness's own instance; the nodes run it from here
	ctx := context.Background()
	rooms := staticRooms{s.roomID}
	newRooms := func() *Rooms {
		return NewRooms(RoomsConfig{Clock: s.clock, Actor: auction.Config{Grace: 500 * time.Millisecond},
			Pipeline: PipelineConfig{TaskCheckInterval: 100 * time.Millisecond}},
			s.db, s.rdb, events.NewRedisLog(s.rdb), s.out, quietLog())
	}
	fences := storage.NewFences(s.db)
	a, err := NewNode(NodeConfig{NodeID: "a-" + s.roomID[:8], Fences: fences}, s.rdb, rooms, newRooms(), quietLog())
	if err != nil {
		t.Fatal(err)
	}
	a.claim(ctx)
	if len(a.Owned()) != 1 {
		t.Fatal("node A did not claim the room")
	}
	if out := s.outcome(s.submit(0, "before", first).Bid.BidID); out.Status != StatusAccepted {
		t.Fatalf("bid on A: %+v", out)
	}

	b, err := NewNode(NodeConfig{NodeID: "b-" + s.roomID[:8], Fences: fences}, s.rdb, rooms, newRooms(), quietLog())
	if err != nil {
		t.Fatal(err)
	}
	bctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- b.Run(bctx) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, "B's first scan", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.live[s.roomID]
	})

	a.renewAll(ctx)
	killed := time.Now()
	a.stop(s.roomID, false) // kill -9: the room stops, the lease stays
	bid := s.submit(1, "after", 2*first)
	out := s.outcome(bid.Bid.BidID)
	took := time.Since(killed)
	t.Logf("takeover: first bid decided %s after the owner's death (target 2 s)", took.Round(time.Millisecond))
	if out.Status != StatusAccepted {
		t.Fatalf("bid after the takeover: %+v", out)
	}
	if took > 5*time.Second {
		t.Fatalf("takeover took %s", took)
	}
	if owner, _ := Owner(ctx, s.rdb, s.roomID); owner != b.cfg.NodeID {
		t.Fatalf("owner %q, want B", owner)
	}
}
