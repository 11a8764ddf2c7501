package auction

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestDeadlineGraceAndClose walks a lot through its deadline on the fake
// clock: closing at the deadline, in-flight bids applied during the grace,
// late ones refused, then the close.
func TestDeadlineGraceAndClose(t *testing.T) {
	h := newHarness(t, Config{Grace: 500 * time.Millisecond}).run()
	h.start(testLot("lot-1", suddenDeath))
	mustAccept(t, h.bid("lot-1", "alice", 1_000))
	h.clock.Advance(60 * time.Second) // exactly the deadline
	if s := h.snap(); s.Lot.Status != StatusClosing {
		t.Fatalf("status %s at deadline, want closing", s.Lot.Status)
	}
	h.clock.Advance(200 * time.Millisecond)
	// Received 250 ms ago, i.e. before the deadline: applied in the grace.
	mustAccept(t, h.place(h.mkBid("lot-1", "bob", 1_100, 250*time.Millisecond)))
	// Received exactly at the deadline: still in time.
	mustAccept(t, h.place(h.mkBid("lot-1", "carol", 1_200, 200*time.Millisecond)))
	// Received after the deadline: refused even though the lot is closing.
	mustReject(t, h.place(h.mkBid("lot-1", "dave", 5_000, 100*time.Millisecond)), ReasonAfterDeadline)
	h.clock.Advance(300 * time.Millisecond)
	s := h.snap()
	if s.Lot.Status != StatusSold || s.Lot.Result == nil || s.Lot.Result.WinnerID != "carol" || s.Lot.Result.Price.Amount != 1_200 {
		t.Fatalf("after grace: %+v %+v", s.Lot, s.Lot.Result)
	}
	mustReject(t, h.place(h.mkBid("lot-1", "erin", 9_000, 0)), ReasonAfterDeadline)
	mustReject(t, h.place(h.mkBid("lot-1", "erin", 9_000, 700*time.Millisecond)), ReasonLotNotLive)
	want := []string{EventLotStarted, EventBidAccepted, EventLotClosing, EventBidAccepted, EventBidAccepted,
		EventBidRejected, EventLotClosed, EventBidRejected, EventBidRejected}
	if got := h.sink.types(); !slices.Equal(got, want) {
		t.Fatalf("events %v\nwant %v", got, want)
	}
	if st, _ := h.store.Lot("lot-1"); st.Status != StatusSold || st.Result.WinnerID != "carol" {
		t.Fatalf("stored %+v", st)
	}
}

// TestTimerFiresWithoutCommands checks the actor closes a lot on its own
// timer, with no command to nudge it.
func TestTimerFiresWithoutCommands(t *testing.T) {
	h := newHarness(t, Config{}).run()
	h.start(testLot("lot-1", suddenDeath))
	h.clock.Advance(60 * time.Second)
	waitEvent(t, h, EventLotClosing)
	h.clock.Advance(time.Second)
	waitEvent(t, h, EventLotClosed)
	if ev, _ := h.sink.last(EventLotClosed); ev.Result.Status != StatusUnsold {
		t.Fatalf("result %+v", ev.Result)
	}
}

// waitEvent waits for the actor to emit an event of type typ; the fake
// clock fires the timer, but the actor handles it on its own goroutine.
func waitEvent(t *testing.T, h *harness, typ string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, ok := h.sink.last(typ); ok {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("no %s event; got %v", typ, h.sink.types())
}

func TestGraceBidReopensExtendingLot(t *testing.T) {
	h := newHarness(t, Config{}).run()
	h.start(testLot("lot-1", softClose))
	h.clock.Advance(60*time.Second + 100*time.Millisecond)
	res := h.place(h.mkBid("lot-1", "bob", 1_000, 150*time.Millisecond))
	mustAccept(t, res)
	// Extended from its receive time, 50 ms before the old deadline.
	if res.Status != StatusLive || !res.Deadline.Equal(t0.Add(69_950*time.Millisecond)) {
		t.Fatalf("status %s deadline %v", res.Status, res.Deadline.Sub(t0))
	}
	h.clock.Advance(time.Second) // past the old grace: still live
	if s := h.snap(); s.Lot.Status != StatusLive {
		t.Fatalf("status %s", s.Lot.Status)
	}
}

func TestReserve(t *testing.T) {
	for _, tt := range []struct {
		bid  int64
		want LotStatus
	}{{4_900, StatusUnsold}, {5_000, StatusSold}} {
		h := newHarness(t, Config{}).run()
		lot := testLot("lot-1", suddenDeath)
		lot.Reserve = 5_000
		h.start(lot)
		res := h.bid("lot-1", "alice", tt.bid)
		mustAccept(t, res)
		if ev, _ := h.sink.last(EventBidAccepted); ev.ReserveMet != (tt.want == StatusSold) {
			t.Fatalf("reserve_met %v for %d", ev.ReserveMet, tt.bid)
		}
		h.clock.Advance(60 * time.Second)
		h.snap() // closing: the grace runs from when the actor saw the deadline
		h.clock.Advance(time.Second)
		if s := h.snap(); s.Lot.Status != tt.want {
			t.Fatalf("bid %d: %s, want %s", tt.bid, s.Lot.Status, tt.want)
		}
	}
}

func TestCloseRetriesUntilCommitted(t *testing.T) {
	h := newHarness(t, Config{CloseRetryMin: 100 * time.Millisecond, CloseRetryMax: 400 * time.Millisecond}).run()
	h.start(testLot("lot-1", suddenDeath))
	mustAccept(t, h.bid("lot-1", "alice", 1_000))
	fails := 0
	h.store.mu.Lock()
	h.store.Fail = func() error {
		if fails < 3 {
			fails++
			return errors.New("db down")
		}
		return nil
	}
	h.store.mu.Unlock()
	h.clock.Advance(60 * time.Second)
	h.snap()
	h.clock.Advance(500 * time.Millisecond) // grace end: attempt 1 fails
	if s := h.snap(); s.Lot.Status != StatusClosing {
		t.Fatalf("status %s after failed close", s.Lot.Status)
	}
	// A bid received before the deadline still counts while the close is
	// retried (the commit fails once more here, so it is unavailable).
	mustReject(t, h.place(h.mkBid("lot-1", "bob", 1_100, time.Second)), ReasonUnavailable)
	for _, step := range []time.Duration{100, 200, 400} { // backoff doubles
		h.clock.Advance(step * time.Millisecond)
		h.snap()
	}
	s := h.snap()
	if s.Lot.Status != StatusSold || s.Lot.Result.WinnerID != "alice" {
		t.Fatalf("after retries: %+v", s.Lot)
	}
}

func TestSellerCommands(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, Config{}).run()
	lot := testLot("lot-1", suddenDeath)
	h.start(lot)
	if err := h.room.StartLot(ctx, testLot("lot-2", suddenDeath)); !errors.Is(err, ErrLotActive) {
		t.Fatalf("second live lot: %v", err)
	}
	if err := h.room.Pause(ctx, "lot-2"); !errors.Is(err, ErrWrongLot) {
		t.Fatalf("pause wrong lot: %v", err)
	}
	if err := h.room.Resume(ctx, "lot-1"); !errors.Is(err, ErrBadTransition) {
		t.Fatalf("resume live: %v", err)
	}
	h.clock.Advance(20 * time.Second)
	if err := h.room.Pause(ctx, "lot-1"); err != nil {
		t.Fatal(err)
	}
	if s := h.snap(); s.Lot.Status != StatusPaused || s.Lot.RemainingMS != 40_000 {
		t.Fatalf("paused: %+v", s.Lot)
	}
	h.clock.Advance(time.Hour) // the clock does not run while paused
	mustReject(t, h.bid("lot-1", "alice", 1_000), ReasonLotNotLive)
	sentInPause := h.mkBid("lot-1", "alice", 1_000, 0)
	h.clock.Advance(time.Millisecond)
	if err := h.room.Resume(ctx, "lot-1"); err != nil {
		t.Fatal(err)
	}
	mustReject(t, h.place(sentInPause), ReasonLotNotLive)
	s := h.snap()
	if !s.Lot.Deadline.Equal(h.clock.Now().Add(40 * time.Second)) {
		t.Fatalf("resumed deadline %v", s.Lot.Deadline.Sub(h.clock.Now()))
	}
	if err := h.room.Skip(ctx, "lot-1"); err != nil {
		t.Fatal(err)
	}
	if s := h.snap(); s.Lot.Status != StatusCancelled {
		t.Fatalf("skipped: %s", s.Lot.Status)
	}
	if err := h.room.Relist(ctx, "lot-1"); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(10 * time.Second)
	mustAccept(t, h.bid("lot-1", "alice", 1_000))
	if err := h.room.Skip(ctx, "lot-1"); !errors.Is(err, ErrLotHasBids) {
		t.Fatalf("skip with bids: %v", err)
	}
	if err := h.room.EndEarly(ctx, "lot-1"); err != nil {
		t.Fatal(err)
	}
	// Sent before the end, applied in the grace: counts, and (dynamic or
	// not) never reopens a lot the seller ended.
	mustAccept(t, h.place(h.mkBid("lot-1", "bob", 1_100, time.Millisecond)))
	h.clock.Advance(time.Millisecond)
	mustReject(t, h.bid("lot-1", "carol", 1_200), ReasonAfterDeadline)
	h.clock.Advance(time.Second)
	s = h.snap()
	if s.Lot.Status != StatusSold || s.Lot.Result.WinnerID != "bob" {
		t.Fatalf("ended: %+v", s.Lot)
	}
	if err := h.room.Relist(ctx, "lot-1"); !errors.Is(err, ErrBadTransition) {
		t.Fatalf("relist sold: %v", err)
	}
	h.start(testLot("lot-2", suddenDeath))
	if st, _ := h.store.Lot("lot-1"); st.Status != StatusSold || st.Version < 8 {
		t.Fatalf("stored lot-1 %+v", st)
	}
}

func TestEndEarlyWhilePausedClosesAtOnce(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, Config{}).run()
	h.start(testLot("lot-1", dynamic))
	mustAccept(t, h.bid("lot-1", "alice", 1_000))
	if err := h.room.Pause(ctx, "lot-1"); err != nil {
		t.Fatal(err)
	}
	late := h.mkBid("lot-1", "bob", 2_000, 0)
	if err := h.room.EndEarly(ctx, "lot-1"); err != nil {
		t.Fatal(err)
	}
	mustReject(t, h.place(late), ReasonLotNotLive)
	waitEvent(t, h, EventLotClosed)
	if s := h.snap(); s.Lot.Status != StatusSold || s.Lot.Result.WinnerID != "alice" {
		t.Fatalf("%+v", s.Lot)
	}
}

func TestSellerCommandCommitFailureChangesNothing(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, Config{}).run()
	h.start(testLot("lot-1", suddenDeath))
	before := h.snap()
	h.store.mu.Lock()
	h.store.Fail = func() error { return errors.New("db down") }
	h.store.mu.Unlock()
	for name, f := range map[string]func() error{
		"pause": func() error { return h.room.Pause(ctx, "lot-1") },
		"end":   func() error { return h.room.EndEarly(ctx, "lot-1") },
		"skip":  func() error { return h.room.Skip(ctx, "lot-1") },
	} {
		if err := f(); !errors.Is(err, ErrCommit) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if after := h.snap(); *after.Lot != *before.Lot {
		t.Fatalf("state changed: %+v -> %+v", before.Lot, after.Lot)
	}
}

func TestStoppedRoom(t *testing.T) {
	h := newHarness(t, Config{}).run()
	h.start(testLot("lot-1", suddenDeath))
	h.stop()
	<-h.room.Done()
	if _, err := h.room.PlaceBid(context.Background(), h.mkBid("lot-1", "a", 1_000, 0)); !errors.Is(err, ErrRoomStopped) {
		t.Fatalf("bid on stopped room: %v", err)
	}
	if err := h.room.Run(context.Background()); !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("second Run: %v", err)
	}
	if h.clock.Pending() != 0 {
		t.Fatalf("%d timers left armed", h.clock.Pending())
	}
}

func TestCallerContextBeforeRun(t *testing.T) {
	h := newHarness(t, Config{CommandBuffer: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := h.room.Snapshot(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
}

// drainGate is a Config.Drained whose answer the test sets.
type drainGate struct {
	mu    sync.Mutex
	ok    bool
	err   error
	asked []time.Time
}

func (g *drainGate) drained(_ context.Context, deadline time.Time) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.asked = append(g.asked, deadline)
	return g.ok, g.err
}

func (g *drainGate) set(ok bool, err error) { g.mu.Lock(); g.ok, g.err = ok, err; g.mu.Unlock() }

// TestCloseWaitsForBidsOnTheirWay holds a closing sudden-death lot open
// while Drained says bids received before the deadline are still in the
// pipeline (a backlog longer than the grace): such a bid applied late is
// accepted by its receive time, a later one is refused after_deadline, a
// failing Drained holds too, and the lot closes once Drained says yes.
func TestCloseWaitsForBidsOnTheirWay(t *testing.T) {
	g := &drainGate{}
	h := newHarness(t, Config{Grace: 500 * time.Millisecond, CloseRetryMin: 100 * time.Millisecond, Drained: g.drained}).run()
	h.start(testLot("lot-1", suddenDeath))
	deadline := h.clock.Now().Add(60 * time.Second)
	mustAccept(t, h.bid("lot-1", "alice", 1_000))
	h.clock.Advance(60 * time.Second)
	h.snap()                         // closing from the deadline on
	h.clock.Advance(3 * time.Second) // six grace lengths: the backlog outlasts the grace
	if s := h.snap(); s.Lot.Status != StatusClosing {
		t.Fatalf("status %s while bids are on their way, want closing", s.Lot.Status)
	}
	// The backlog arrives: bob's bid was received 1 ms before the deadline.
	mustAccept(t, h.place(h.mkBid("lot-1", "bob", 1_100, 3*time.Second+time.Millisecond)))
	mustReject(t, h.place(h.mkBid("lot-1", "carol", 9_000, time.Second)), ReasonAfterDeadline)
	g.set(false, errors.New("redis down"))
	h.clock.Advance(200 * time.Millisecond)
	if s := h.snap(); s.Lot.Status != StatusClosing {
		t.Fatalf("status %s while Drained fails, want closing", s.Lot.Status)
	}
	g.set(true, nil)
	h.clock.Advance(100 * time.Millisecond)
	s := h.snap()
	if s.Lot.Status != StatusSold || s.Lot.Result.WinnerID != "bob" || s.Lot.Result.Price.Amount != 1_100 {
		t.Fatalf("after the backlog: %+v %+v", s.Lot, s.Lot.Result)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.asked) < 3 {
		t.Errorf("Drained asked %d times, want at each retry", len(g.asked))
	}
	for _, d := range g.asked {
		if !d.Equal(deadline) {
			t.Errorf("Drained asked about deadline %v, want %v", d, deadline)
		}
	}
}

// TestHeldSoftCloseReopensByReceiveTime: a soft-close lot held closing by
// a backlog gets a bid received 1 ms before its deadline; applied seconds
// late, it extends the clock from its receive time as if applied at once,
// so a bid received after the old deadline but inside the extension counts.
func TestHeldSoftCloseReopensByReceiveTime(t *testing.T) {
	g := &drainGate{}
	h := newHarness(t, Config{Grace: 500 * time.Millisecond, CloseRetryMin: 100 * time.Millisecond, Drained: g.drained}).run()
	h.start(testLot("lot-1", softClose))
	h.clock.Advance(60 * time.Second)
	h.snap()
	h.clock.Advance(3 * time.Second)
	if s := h.snap(); s.Lot.Status != StatusClosing {
		t.Fatalf("status %s while bids are on their way, want closing", s.Lot.Status)
	}
	res := h.place(h.mkBid("lot-1", "bob", 1_000, 3*time.Second+time.Millisecond))
	mustAccept(t, res)
	if res.Status != StatusLive || !res.Deadline.Equal(t0.Add(69_999*time.Millisecond)) {
		t.Fatalf("status %s deadline %v, want live until 69.999 s", res.Status, res.Deadline.Sub(t0))
	}
	mustAccept(t, h.place(h.mkBid("lot-1", "carol", 1_100, time.Second)))
	g.set(true, nil)
	h.clock.Advance(20 * time.Second)
	h.snap()
	h.clock.Advance(time.Second)
	if s := h.snap(); s.Lot.Status != StatusSold || s.Lot.Result.WinnerID != "carol" {
		t.Fatalf("after the extension: %+v %+v", s.Lot, s.Lot.Result)
	}
}
