package auction

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// t0 is the fake clock's start in every test.
var t0 = time.Date(2026, 1, 2, 15, 0, 0, 0, time.UTC)

const (
	testRoom   = "room-1"
	testSeller = "seller"
)

// recSink records every event; it never blocks.
type recSink struct {
	mu     sync.Mutex
	events []Event
}

func (s *recSink) Emit(e Event) {
	s.mu.Lock()
	s.events = append(s.events, e)
	s.mu.Unlock()
}

func (s *recSink) all() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

// types returns the event types in order.
func (s *recSink) types() []string {
	var ts []string
	for _, e := range s.all() {
		ts = append(ts, e.Type)
	}
	return ts
}

// last returns the last event of type typ.
func (s *recSink) last(typ string) (Event, bool) {
	ev := s.all()
	for i := len(ev) - 1; i >= 0; i-- {
		if ev[i].Type == typ {
			return ev[i], true
		}
	}
	return Event{}, false
}

// harness is a running room on a fake clock with a MemStore.
type harness struct {
	t     testing.TB
	room  *Room
	clock *FakeClock
	store *MemStore
	sink  *recSink
	seq   int64
	stop  context.CancelFunc
}

func newHarness(t testing.TB, cfg Config) *harness {
	t.Helper()
	h := &harness{t: t, clock: NewFakeClock(t0), store: NewMemStore(), sink: &recSink{}}
	if cfg.RoomID == "" {
		cfg.RoomID = testRoom
	}
	if cfg.SellerID == "" {
		cfg.SellerID = testSeller
	}
	r, err := NewRoom(cfg, h.clock, h.store, h.sink, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.room = r
	return h
}

// run starts the room's goroutine and stops it at cleanup, checking that
// it ends.
func (h *harness) run() *harness {
	ctx, cancel := context.WithCancel(context.Background())
	h.stop = cancel
	go func() {
		if err := h.room.Run(ctx); err != nil {
			h.t.Errorf("Run: %v", err)
		}
	}()
	h.t.Cleanup(func() {
		cancel()
		select {
		case <-h.room.Done():
		case <-time.After(5 * time.Second):
			h.t.Error("room goroutine did not end after cancel")
		}
	})
	return h
}

func testLot(id string, clock ClockConfig) Lot {
	return Lot{ID: id, Currency: "EUR", Opening: 1_000, Increments: Increments{{0, 100}, {10_000, 500}}, Clock: clock}
}

var (
	suddenDeath = ClockConfig{Policy: PolicySuddenDeath, DurationMS: 60_000}
	softClose   = ClockConfig{Policy: PolicySoftClose, DurationMS: 60_000, ExtendMS: 10_000}
	dynamic     = ClockConfig{Policy: PolicyDynamic, DurationMS: 60_000, FloorMS: 5_000}
)

func (h *harness) start(lot Lot) {
	h.t.Helper()
	if err := h.room.StartLot(context.Background(), lot); err != nil {
		h.t.Fatalf("StartLot: %v", err)
	}
}

// mkBid returns a bid received ago before the fake now, with the next
// ingress sequence.
func (h *harness) mkBid(lot, bidder string, amount int64, ago time.Duration) Bid {
	h.seq++
	return Bid{
		ID: fmt.Sprintf("b%d", h.seq), LotID: lot, BidderID: bidder,
		Amount: Money{Amount: amount, Currency: "EUR"}, ReceivedAt: h.clock.Now().Add(-ago), Seq: h.seq,
	}
}

func (h *harness) bid(lot, bidder string, amount int64) BidResult {
	h.t.Helper()
	return h.place(h.mkBid(lot, bidder, amount, 0))
}

func (h *harness) place(b Bid) BidResult {
	h.t.Helper()
	res, err := h.room.PlaceBid(context.Background(), b)
	if err != nil {
		h.t.Fatalf("PlaceBid: %v", err)
	}
	return res
}

func (h *harness) max(lot, bidder string, amount int64) BidResult {
	h.t.Helper()
	res, err := h.room.SetMaxBid(context.Background(), h.mkBid(lot, bidder, amount, 0))
	if err != nil {
		h.t.Fatalf("SetMaxBid: %v", err)
	}
	return res
}

func (h *harness) snap() Snapshot {
	h.t.Helper()
	s, err := h.room.Snapshot(context.Background())
	if err != nil {
		h.t.Fatalf("Snapshot: %v", err)
	}
	return s
}

// mustAccept fails unless res accepted.
func mustAccept(t testing.TB, res BidResult) {
	t.Helper()
	if !res.Accepted {
		t.Fatalf("bid rejected: %s", res.Reason)
	}
}

func mustReject(t testing.TB, res BidResult, want Reason) {
	t.Helper()
	if res.Accepted || res.Reason != want {
		t.Fatalf("got accepted=%v reason=%q, want rejected %q", res.Accepted, res.Reason, want)
	}
}
