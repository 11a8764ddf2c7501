package bidding

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/events"
	"github.com/bidcast/bidcast/storage"
)

// fakePresence says who is in which room, as the gateways' viewer counts
// and the media origin record would.
type fakePresence struct {
	mu   sync.Mutex
	here map[string]bool
}

func (p *fakePresence) set(roomID string, here bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.here == nil {
		p.here = map[string]bool{}
	}
	p.here[roomID] = here
}

func (p *fakePresence) Present(_ context.Context, roomID string) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.here[roomID], nil
}

// startCounter counts the rooms a node starts.
type startCounter struct {
	*Rooms
	n atomic.Int64
}

func (c *startCounter) StartRoom(ctx context.Context, id string) (RunningRoom, error) {
	c.n.Add(1)
	return c.Rooms.StartRoom(ctx, id)
}

// parkNode is one node of a parking test: its rooms, its node (running),
// an ingress that wakes through it, and its seller commands.
type parkNode struct {
	node    *Node
	rooms   *startCounter
	ingress *Ingress
	cmds    *Commands
}

// parkAfter is the tests' ROOM_PARK_AFTER; the fake clock jumps past it.
const parkAfter = 10 * time.Minute

// newParkNode starts a node over the show's database and Redis with
// parking on, on the show's fake clock.
func newParkNode(t testing.TB, s *liveShow, name string, presence Presence) *parkNode {
	t.Helper()
	rooms := &startCounter{Rooms: NewRooms(RoomsConfig{Clock: s.clock, Actor: auction.Config{Grace: 500 * time.Millisecond},
		Pipeline: PipelineConfig{TaskCheckInterval: 100 * time.Millisecond}},
		s.db, s.rdb, events.NewRedisLog(s.rdb), s.out, quietLog())}
	store := storage.NewRooms(s.db)
	evlog := events.NewRedisLog(s.rdb)
	n, err := NewNode(NodeConfig{NodeID: name + "-" + s.roomID[:8], Fences: storage.NewFences(s.db),
		Parking: ParkConfig{Store: store, Presence: presence, After: parkAfter, AbandonAfter: 24 * time.Hour,
			CheckInterval: time.Hour, SweepInterval: time.Hour, Now: s.clock.Now, WakeHold: time.Millisecond,
			OnEnded: func(ctx context.Context, roomID string) { _ = evlog.Retire(ctx, roomID, time.Hour) }}},
		s.rdb, store, rooms, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	runUntilCleanup(t, n.Run)
	return &parkNode{node: n, rooms: rooms,
		ingress: NewIngress(s.rdb, s.out, IngressConfig{Now: s.clock.Now, Waker: n}),
		cmds:    NewCommands(rooms.Rooms, n, &fakeModeration{}, evlog)}
}

func (p *parkNode) owns(roomID string) bool {
	_, ok := p.rooms.Get(roomID)
	return ok
}

// parked reports whether the room is parked in Postgres.
func parked(t testing.TB, s *liveShow) bool {
	t.Helper()
	ok, err := storage.NewRooms(s.db).Parked(context.Background(), s.roomID)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// submitVia sends a bid through a node's ingress.
func (s *liveShow) submitVia(in *Ingress, bidder int, bidID string, amount int64) Receipt {
	s.t.Helper()
	rc, err := in.Submit(context.Background(), Bid{RoomID: s.roomID, LotID: s.lotID, BidID: bidID,
		BidderID: s.bidders[bidder], Amount: amount, Currency: "KRW", Kind: KindBid})
	if err != nil {
		s.t.Fatalf("submit %s: %v", bidID, err)
	}
	return rc
}

// parkShow starts a show whose one-hour lot is live, hands it to one
// node with parking on, and returns both.
func parkShow(t *testing.T, presence Presence) (*liveShow, *parkNode) {
	t.Helper()
	s := startLiveShow(t, "soft-close", time.Hour)
	s.room.Stop() // the harness's own instance; the node runs it from here
	a := newParkNode(t, s, "a", presence)
	waitFor(t, "node A to claim the room", func() bool { return a.owns(s.roomID) })
	return s, a
}

// parkNow makes the room idle past parkAfter and runs a parking check.
func parkNow(s *liveShow, p *parkNode) {
	s.clock.Advance(parkAfter + time.Second)
	p.node.parkIdle(context.Background())
}

func TestIdleRoomParksOnlyWhenNobodyIsThere(t *testing.T) {
	pres := &fakePresence{}
	s, a := parkShow(t, pres)
	ctx := context.Background()

	parkNow(s, a)
	if parked(t, s) || !a.owns(s.roomID) {
		t.Fatal("a room whose lot clock runs parked")
	}
	if err := a.cmds.Run(ctx, s.roomID, Command{Type: CommandLotPause}); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(parkAfter - time.Second)
	a.node.parkIdle(ctx)
	if parked(t, s) {
		t.Fatal("parked before ROOM_PARK_AFTER had passed since the last command")
	}
	pres.set(s.roomID, true) // a viewer on some node, or a publisher
	parkNow(s, a)
	if parked(t, s) || !a.owns(s.roomID) {
		t.Fatal("a room with someone present parked")
	}
	pres.set(s.roomID, false)
	parkNow(s, a)
	if !parked(t, s) || a.owns(s.roomID) {
		t.Fatal("an idle empty room did not park")
	}
	if owner, _ := Owner(ctx, s.rdb, s.roomID); owner != "" {
		t.Fatalf("a parked room's lease is held by %q", owner)
	}
	a.node.claim(ctx)
	if a.owns(s.roomID) {
		t.Fatal("a scan claimed a parked room")
	}
}

// TestParkedRoomWakesForBidCommandAndViewer parks a room and wakes it
// each way: a bid (decided by its receive time), a seller command, a
// viewer or publisher (Wake, as the gateway and WHIP/WHEP call it).
func TestParkedRoomWakesForBidCommandAndViewer(t *testing.T) {
	s, a := parkShow(t, nil)
	ctx := context.Background()
	if err := a.cmds.Run(ctx, s.roomID, Command{Type: CommandLotPause}); err != nil {
		t.Fatal(err)
	}
	parkNow(s, a)
	if !parked(t, s) {
		t.Fatal("not parked")
	}

	// A bid: the lot is paused, so it is refused as not live, by the woken
	// room, as quickly as a running room would decide it.
	sent := time.Now()
	rc := s.submitVia(a.ingress, 0, "woke-it", s.nextMinimumFromStore())
	out := s.outcomeOf(0, rc.Bid.BidID)
	t.Logf("parked room woken by a bid decided it %s after it arrived (target 100 ms)", time.Since(sent).Round(time.Millisecond))
	if out.Status != StatusRejected || out.Reason != string(auction.ReasonLotNotLive) {
		t.Fatalf("bid to a parked room with a paused lot: %+v", out)
	}
	if parked(t, s) || !a.owns(s.roomID) {
		t.Fatal("a bid did not wake the room")
	}

	// A seller command wakes it and runs.
	parkNow(s, a)
	if !parked(t, s) {
		t.Fatal("not parked again")
	}
	if err := a.cmds.Run(ctx, s.roomID, Command{Type: CommandLotResume}); err != nil {
		t.Fatalf("resume on a parked room: %v", err)
	}
	out = s.outcomeOf(1, s.submitVia(a.ingress, 1, "after-resume", a.nextMinimum(t, s.roomID)).Bid.BidID)
	if out.Status != StatusAccepted {
		t.Fatalf("bid after the seller woke the room: %+v", out)
	}

	// A viewer or publisher: the gateway or WHIP/WHEP calls Wake.
	if err := a.cmds.Run(ctx, s.roomID, Command{Type: CommandLotPause}); err != nil {
		t.Fatal(err)
	}
	parkNow(s, a)
	if !parked(t, s) {
		t.Fatal("not parked a third time")
	}
	a.node.Wake(s.roomID)
	waitFor(t, "a viewer's wake", func() bool { return a.owns(s.roomID) })
	if parked(t, s) {
		t.Fatal("woken room still marked parked")
	}
}

// TestBidSequencedWhileParkingWakesTheRoom sends a bid after the room has
// stopped but before its lease is released: nobody is asked to wake it at
// ingress, so the parking node must find it and wake the room itself.
func TestBidSequencedWhileParkingWakesTheRoom(t *testing.T) {
	s, a := parkShow(t, nil)
	ctx := context.Background()
	if err := a.cmds.Run(ctx, s.roomID, Command{Type: CommandLotPause}); err != nil {
		t.Fatal(err)
	}
	lr, _ := a.rooms.Get(s.roomID)
	applied := lr.Applied()
	s.clock.Advance(parkAfter + time.Second)
	ok, err := storage.NewRooms(s.db).Park(ctx, s.roomID, 0, s.clock.Now())
	if err != nil || !ok {
		t.Fatalf("park: %v %v", ok, err)
	}
	lr.Stop() // the pipeline is gone, the lease still held
	rc := s.submit(2, "in-the-gap", s.nextMinimumFromStore())
	a.node.stop(s.roomID, true)
	a.node.recheck(ctx, s.roomID, applied)
	if out := s.outcomeOf(2, rc.Bid.BidID); out.Status != StatusRejected {
		t.Fatalf("bid sent while the room parked: %+v", out)
	}
	if parked(t, s) {
		t.Fatal("room still parked with a bid decided")
	}
}

// nextMinimumFromStore is a bid amount that is surely high enough, read
// without the actor (which may be stopped).
func (s *liveShow) nextMinimumFromStore() int64 { return 1_000_000 }

// nextMinimum is the least bid the room's running actor on p takes now.
func (p *parkNode) nextMinimum(t testing.TB, roomID string) int64 {
	t.Helper()
	lr, ok := p.rooms.Get(roomID)
	if !ok {
		t.Fatal("the room does not run on this node")
	}
	snap, err := lr.Actor().Snapshot(context.Background())
	if err != nil || snap.Lot == nil {
		t.Fatalf("snapshot: %v", err)
	}
	return snap.Lot.NextMin.Amount
}

// TestTwoNodesWakingOneRoomRunItOnce parks a room again and again and has
// two nodes wake it at once, by bids through each and by Wake: one node
// runs it, it is started once per wake, and every bid is decided once.
func TestTwoNodesWakingOneRoomRunItOnce(t *testing.T) {
	s, a := parkShow(t, nil)
	b := newParkNode(t, s, "b", nil)
	ctx := context.Background()
	if err := a.cmds.Run(ctx, s.roomID, Command{Type: CommandLotPause}); err != nil {
		t.Fatal(err)
	}
	owner := a
	for round := 0; round < 5; round++ {
		parkNow(s, owner)
		if !parked(t, s) {
			t.Fatalf("round %d: not parked", round)
		}
		before := a.rooms.n.Load() + b.rooms.n.Load()
		var wg sync.WaitGroup
		ids := make([]string, 2)
		for i, p := range []*parkNode{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.node.Wake(s.roomID)
				ids[i] = s.submitVia(p.ingress, i, "race-"+string(rune('a'+round))+string(rune('0'+i)), 1_000_000).Bid.BidID
			}()
		}
		wg.Wait()
		for i, id := range ids {
			if out := s.outcomeOf(i, id); out.Status != StatusRejected {
				t.Fatalf("round %d: bid %s: %+v", round, id, out)
			}
		}
		waitFor(t, "both wakes to finish", func() bool {
			return !a.node.wakingRoom(s.roomID) && !b.node.wakingRoom(s.roomID)
		})
		if a.owns(s.roomID) == b.owns(s.roomID) {
			t.Fatalf("round %d: A runs it %v, B runs it %v", round, a.owns(s.roomID), b.owns(s.roomID))
		}
		if started := a.rooms.n.Load() + b.rooms.n.Load() - before; started != 1 {
			t.Fatalf("round %d: the room was started %d times", round, started)
		}
		if b.owns(s.roomID) {
			owner = b
		} else {
			owner = a
		}
	}
}

// wakingRoom reports whether a wake of roomID is queued or under way.
func (n *Node) wakingRoom(roomID string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.waking[roomID]
}

// TestWakeDuringParkIsNotLost: a viewer who arrives while the room is
// being parked (its lease still held) must not find it parked for good,
// and one who arrived just before the park keeps it running.
func TestWakeDuringParkIsNotLost(t *testing.T) {
	s, a := parkShow(t, nil)
	b := newParkNode(t, s, "b", nil)
	ctx := context.Background()
	if err := a.cmds.Run(ctx, s.roomID, Command{Type: CommandLotPause}); err != nil {
		t.Fatal(err)
	}

	// Someone wanted the room a moment ago: the park backs off.
	if err := s.rdb.Set(ctx, wantedKey(s.roomID), 1, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	parkNow(s, a)
	if parked(t, s) || !a.owns(s.roomID) {
		t.Fatal("parked a room someone had just asked for")
	}
	s.rdb.Del(ctx, wantedKey(s.roomID))

	// A park under way (announced, lease held): B's wake waits for it,
	// then wakes the room.
	if err := s.rdb.Set(ctx, parkingKey(s.roomID), "a", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	b.node.Wake(s.roomID)
	lr, _ := a.rooms.Get(s.roomID)
	s.clock.Advance(parkAfter + time.Second)
	if ok, err := storage.NewRooms(s.db).Park(ctx, s.roomID, 0, s.clock.Now()); err != nil || !ok {
		t.Fatalf("park: %v %v", ok, err)
	}
	a.node.stop(s.roomID, true)
	a.node.recheck(ctx, s.roomID, lr.Applied())
	s.rdb.Del(ctx, parkingKey(s.roomID))
	waitFor(t, "the waiting wake", func() bool { return a.owns(s.roomID) || b.owns(s.roomID) })
	if parked(t, s) {
		t.Fatal("woken room still marked parked")
	}
}

// TestParkingLeaksNoGoroutine runs a node through parks and wakes and
// stops it: every goroutine it started (rooms, wakes, the park loop) ends.
func TestParkingLeaksNoGoroutine(t *testing.T) {
	s := startLiveShow(t, "soft-close", time.Hour)
	s.room.Stop()
	ctx := context.Background()
	before := runtime.NumGoroutine()
	rooms := NewRooms(RoomsConfig{Clock: s.clock, Pipeline: PipelineConfig{TaskCheckInterval: 100 * time.Millisecond}},
		s.db, s.rdb, events.NewRedisLog(s.rdb), s.out, quietLog())
	store := storage.NewRooms(s.db)
	n, err := NewNode(NodeConfig{NodeID: "leak-" + s.roomID[:8], Fences: storage.NewFences(s.db),
		Parking: ParkConfig{Store: store, After: parkAfter, CheckInterval: time.Hour, SweepInterval: time.Hour,
			Now: s.clock.Now, WakeHold: time.Millisecond}}, s.rdb, store, rooms, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- n.Run(runCtx) }()
	for i := 0; i < 3; i++ {
		waitFor(t, "the room to run", func() bool { _, ok := rooms.Get(s.roomID); return ok })
		if i == 0 {
			lr, _ := rooms.Get(s.roomID)
			if err := lr.Actor().Pause(ctx, s.lotID); err != nil {
				t.Fatal(err)
			}
		}
		s.clock.Advance(parkAfter + time.Second)
		n.parkIdle(ctx)
		if !parked(t, s) {
			t.Fatalf("round %d: not parked", i)
		}
		n.Wake(s.roomID)
	}
	cancel()
	<-done
	waitFor(t, "the node's goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}
