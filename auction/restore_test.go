package auction

import (
	"context"
	"errors"
	"testing"
	"time"
)

// restoreFrom builds a second room over the first one's store, as a new
// owner would after a restart.
func restoreFrom(t *testing.T, old *harness, lot Lot, at time.Time) *harness {
	t.Helper()
	st, ok := old.store.Lot(lot.ID)
	if !ok {
		t.Fatal("nothing stored")
	}
	h := newHarness(t, Config{EventSeqStart: 1_000})
	h.store = old.store
	h.clock.Set(at)
	r, err := NewRoom(Config{RoomID: testRoom, SellerID: testSeller, EventSeqStart: 1_000}, h.clock, h.store, h.sink, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Restore(lot, st); err != nil {
		t.Fatal(err)
	}
	h.room = r
	h.seq = old.seq
	return h.run()
}

func TestRestoreLiveLot(t *testing.T) {
	old := newHarness(t, Config{}).run()
	lot := testLot("lot-1", softClose)
	old.start(lot)
	old.max("lot-1", "alice", 5_000)
	mustAccept(t, old.bid("lot-1", "bob", 2_000))
	old.stop()
	<-old.room.Done()

	h := restoreFrom(t, old, lot, t0.Add(30*time.Second))
	s := h.snap()
	if s.Lot.Status != StatusLive || s.Lot.HighBid.Amount != 2_100 || s.Lot.LeaderID != "alice" || !s.Lot.Deadline.Equal(t0.Add(60*time.Second)) {
		t.Fatalf("restored %+v", s.Lot)
	}
	if s.EventSeq <= 1_000 {
		t.Fatalf("event seq %d does not continue above the restore base", s.EventSeq)
	}
	// The proxy maximum survived: it answers bob again.
	res := h.bid("lot-1", "bob", 3_000)
	mustAccept(t, res)
	if res.LeaderID != "alice" || res.HighBid.Amount != 3_100 {
		t.Fatalf("after restore: %+v", res)
	}
	// A redelivered bid from before the restart is a duplicate.
	mustReject(t, h.place(Bid{ID: "b2", LotID: "lot-1", BidderID: "bob", Amount: Money{2_000, "EUR"}, ReceivedAt: t0, Seq: 2}), ReasonDuplicate)
}

func TestRestoreAfterDeadlineCloses(t *testing.T) {
	old := newHarness(t, Config{}).run()
	lot := testLot("lot-1", dynamic)
	old.start(lot)
	mustAccept(t, old.bid("lot-1", "alice", 1_000))
	old.stop()
	<-old.room.Done()

	// The node was down across the deadline.
	h := restoreFrom(t, old, lot, t0.Add(10*time.Minute))
	if s := h.snap(); s.Lot.Status != StatusClosing {
		t.Fatalf("status %s, want closing", s.Lot.Status)
	}
	// A bid received before the deadline, still in the durable queue, is
	// applied in the grace. Its clock reset (to the 5 s floor) counts from
	// when it was received, so it does not reopen the lot, and only bids
	// received within that reset count; later ones do not.
	in := Bid{ID: "q1", LotID: "lot-1", BidderID: "bob", Amount: Money{1_100, "EUR"}, ReceivedAt: t0.Add(59 * time.Second), Seq: 10}
	inReset := Bid{ID: "q2", LotID: "lot-1", BidderID: "carol", Amount: Money{1_200, "EUR"}, ReceivedAt: t0.Add(63 * time.Second), Seq: 11}
	late := Bid{ID: "q3", LotID: "lot-1", BidderID: "dave", Amount: Money{9_000, "EUR"}, ReceivedAt: t0.Add(69 * time.Second), Seq: 12}
	res := h.place(in)
	mustAccept(t, res)
	if res.Status != StatusClosing || !res.Deadline.Equal(t0.Add(64*time.Second)) {
		t.Fatalf("after in-time bid: %s %v", res.Status, res.Deadline.Sub(t0))
	}
	mustAccept(t, h.place(inReset))
	mustReject(t, h.place(late), ReasonAfterDeadline)
	h.clock.Advance(time.Second)
	s := h.snap()
	if s.Lot.Status != StatusSold || s.Lot.Result.WinnerID != "carol" {
		t.Fatalf("%+v", s.Lot)
	}
}

func TestRestoreEndedLotDoesNotReopen(t *testing.T) {
	old := newHarness(t, Config{}).run()
	lot := testLot("lot-1", dynamic)
	old.start(lot)
	if err := old.room.EndEarly(context.Background(), "lot-1"); err != nil {
		t.Fatal(err)
	}
	old.stop()
	<-old.room.Done()
	h := restoreFrom(t, old, lot, t0.Add(100*time.Millisecond))
	res := h.place(Bid{ID: "q1", LotID: "lot-1", BidderID: "bob", Amount: Money{1_000, "EUR"}, ReceivedAt: t0, Seq: 10})
	mustAccept(t, res)
	if res.Status != StatusClosing {
		t.Fatalf("status %s, want closing", res.Status)
	}
}

func TestRestoreValidates(t *testing.T) {
	lot := testLot("lot-1", suddenDeath)
	good := LotState{LotID: "lot-1", Status: StatusLive, Version: 3, Deadline: t0}
	tests := map[string]func(s *LotState){
		"other lot":          func(s *LotState) { s.LotID = "x" },
		"other room":         func(s *LotState) { s.RoomID = "x" },
		"zero version":       func(s *LotState) { s.Version = 0 },
		"no deadline":        func(s *LotState) { s.Deadline = time.Time{} },
		"pending":            func(s *LotState) { s.Status = StatusPending },
		"leader without bid": func(s *LotState) { s.LeaderID = "a" },
		"bid without leader": func(s *LotState) { s.HighBid = 5 },
		"bad proxy":          func(s *LotState) { s.Proxies = []ProxyMax{{BidderID: "a", Max: -1}} },
	}
	for name, mutate := range tests {
		h := newHarness(t, Config{})
		s := good
		mutate(&s)
		if err := h.room.Restore(lot, s); !errors.Is(err, ErrInvalidRestore) {
			t.Errorf("%s: %v", name, err)
		}
	}
	h := newHarness(t, Config{})
	if err := h.room.Restore(lot, good); err != nil {
		t.Fatal(err)
	}
}
