package auction

import (
	"context"
	"testing"
	"time"
)

// TestBidRules checks each rule a single bid meets on a fresh live lot
// (opening 1000, increment 100) that already has a bid of 1000 by alice.
func TestBidRules(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(h *harness, b *Bid)
		want   Reason // "" means accepted
	}{
		{"next minimum accepted", func(h *harness, b *Bid) {}, ""},
		{"above minimum accepted", func(h *harness, b *Bid) { b.Amount.Amount = 5_000 }, ""},
		{"below increment", func(h *harness, b *Bid) { b.Amount.Amount = 1_099 }, ReasonTooLow},
		{"equal to high bid", func(h *harness, b *Bid) { b.Amount.Amount = 1_000 }, ReasonTooLow},
		{"zero amount", func(h *harness, b *Bid) { b.Amount.Amount = 0 }, ReasonInvalidAmount},
		{"negative amount", func(h *harness, b *Bid) { b.Amount.Amount = -5 }, ReasonInvalidAmount},
		{"huge amount", func(h *harness, b *Bid) { b.Amount.Amount = MaxAmount + 1 }, ReasonInvalidAmount},
		{"currency mismatch", func(h *harness, b *Bid) { b.Amount.Currency = "USD" }, ReasonCurrencyMismatch},
		{"seller", func(h *harness, b *Bid) { b.BidderID = testSeller }, ReasonSellerCannotBid},
		{"wrong lot", func(h *harness, b *Bid) { b.LotID = "other" }, ReasonWrongLot},
		{"duplicate sequence", func(h *harness, b *Bid) { b.Seq = 1 }, ReasonDuplicate},
		{"no id", func(h *harness, b *Bid) { b.ID = "" }, ReasonInvalidBid},
		{"no receive time", func(h *harness, b *Bid) { b.ReceivedAt = time.Time{} }, ReasonInvalidBid},
		{"received before lot started", func(h *harness, b *Bid) { b.ReceivedAt = t0.Add(-time.Second) }, ReasonLotNotLive},
		{"received after deadline", func(h *harness, b *Bid) { b.ReceivedAt = t0.Add(61 * time.Second) }, ReasonAfterDeadline},
		{"received at deadline", func(h *harness, b *Bid) { b.ReceivedAt = t0.Add(60 * time.Second) }, ""},
		{"banned", func(h *harness, b *Bid) {
			if err := h.room.Ban(context.Background(), "bob"); err != nil {
				t.Fatal(err)
			}
		}, ReasonBanned},
		{"paused", func(h *harness, b *Bid) {
			if err := h.room.Pause(context.Background(), "lot-1"); err != nil {
				t.Fatal(err)
			}
		}, ReasonLotNotLive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{}).run()
			h.start(testLot("lot-1", suddenDeath))
			mustAccept(t, h.bid("lot-1", "alice", 1_000))
			b := h.mkBid("lot-1", "bob", 1_100, 0)
			tt.mutate(h, &b)
			before := h.snap()
			res := h.place(b)
			if tt.want == "" {
				mustAccept(t, res)
				if res.LeaderID != "bob" || !res.Leading {
					t.Fatalf("leader %q, want bob", res.LeaderID)
				}
				return
			}
			mustReject(t, res, tt.want)
			after := h.snap()
			if after.Lot.HighBid != before.Lot.HighBid || after.Lot.Version != before.Lot.Version {
				t.Fatalf("rejected bid changed the lot: %+v -> %+v", before.Lot, after.Lot)
			}
			ev, _ := h.sink.last(EventBidRejected)
			if ev.Reason != tt.want || ev.Bid == nil || ev.Bid.BidderID != b.BidderID {
				t.Fatalf("rejection event %+v", ev)
			}
		})
	}
}

func TestFirstBidMustReachOpening(t *testing.T) {
	h := newHarness(t, Config{}).run()
	h.start(testLot("lot-1", suddenDeath))
	mustReject(t, h.bid("lot-1", "alice", 999), ReasonTooLow)
	res := h.bid("lot-1", "alice", 1_000)
	mustAccept(t, res)
	if res.NextMin.Amount != 1_100 {
		t.Fatalf("next min %d, want 1100", res.NextMin.Amount)
	}
}

func TestNoLotRejects(t *testing.T) {
	h := newHarness(t, Config{}).run()
	mustReject(t, h.bid("lot-1", "alice", 1_000), ReasonLotNotLive)
}

func TestLeaderMayRaiseOwnBid(t *testing.T) {
	h := newHarness(t, Config{}).run()
	h.start(testLot("lot-1", suddenDeath))
	mustAccept(t, h.bid("lot-1", "alice", 1_000))
	res := h.bid("lot-1", "alice", 2_000)
	mustAccept(t, res)
	if res.HighBid.Amount != 2_000 || res.LeaderID != "alice" {
		t.Fatalf("got %+v", res)
	}
}

func TestBidsAreCommittedBeforeEvents(t *testing.T) {
	h := newHarness(t, Config{}).run()
	h.start(testLot("lot-1", suddenDeath))
	mustAccept(t, h.bid("lot-1", "alice", 1_000))
	st, ok := h.store.Lot("lot-1")
	if !ok || st.HighBid != 1_000 || st.LeaderID != "alice" || st.Version != 2 {
		t.Fatalf("stored %+v", st)
	}
	if bids := h.store.Bids("lot-1"); len(bids) != 1 || bids[0].ID != "b1" {
		t.Fatalf("stored bids %+v", bids)
	}
}

func TestCommitFailureRejectsUnavailable(t *testing.T) {
	h := newHarness(t, Config{}).run()
	h.start(testLot("lot-1", dynamic))
	mustAccept(t, h.bid("lot-1", "alice", 1_000))
	before := h.snap()
	h.store.mu.Lock()
	h.store.Fail = func() error { return context.DeadlineExceeded }
	h.store.mu.Unlock()
	b := h.mkBid("lot-1", "bob", 5_000, 0)
	mustReject(t, h.place(b), ReasonUnavailable)
	after := h.snap()
	if *after.Lot != *before.Lot || len(after.History) != len(before.History) {
		t.Fatalf("failed commit changed state: %+v -> %+v", before.Lot, after.Lot)
	}
	h.store.mu.Lock()
	h.store.Fail = nil
	h.store.mu.Unlock()
	// The same bid, redelivered, is decided afresh: unavailable is not a
	// decision.
	mustAccept(t, h.place(b))
}

func TestEventSeqIsMonotonic(t *testing.T) {
	h := newHarness(t, Config{EventSeqStart: 41}).run()
	h.start(testLot("lot-1", suddenDeath))
	h.bid("lot-1", "alice", 1_000)
	h.bid("lot-1", "bob", 10)
	if err := h.room.Mute(context.Background(), "bob", 0); err != nil {
		t.Fatal(err)
	}
	ev := h.sink.all()
	for i, e := range ev {
		if e.Seq != int64(42+i) || e.RoomID != testRoom {
			t.Fatalf("event %d: seq %d room %q", i, e.Seq, e.RoomID)
		}
	}
	if s := h.snap(); s.EventSeq != ev[len(ev)-1].Seq {
		t.Fatalf("snapshot seq %d, last event %d", s.EventSeq, ev[len(ev)-1].Seq)
	}
}
