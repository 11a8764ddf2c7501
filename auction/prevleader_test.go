package auction

import "testing"

// TestBidAcceptedNamesPreviousLeader checks that each bid.accepted carries
// who led before it, as the actor knew it, so the outbid notice and the
// outbid notification need not track leaders of their own: none for the
// first bid, the old leader when the lead changes hands, and the same
// bidder when the leader raises, a proxy answer included. The committed
// decision names the bidder it outbid (Decision.Outbid) only when the lead
// changed hands, with the price that outbid them: the store keeps that
// bidder's notification with the batch.
func TestBidAcceptedNamesPreviousLeader(t *testing.T) {
	h := newHarness(t, Config{}).run()
	h.start(testLot("lot-1", suddenDeath))
	steps := []struct {
		bidder     string
		amount     int64
		wantPrev   string
		wantLeader string
		wantOutbid string
	}{
		{"alice", 1_000, "", "alice", ""},
		{"bob", 2_000, "alice", "bob", "alice"},
		{"bob", 3_000, "bob", "bob", ""},
		{"alice", 4_000, "bob", "alice", "bob"},
	}
	for i, s := range steps {
		mustAccept(t, h.bid("lot-1", s.bidder, s.amount))
		e, ok := h.sink.last(EventBidAccepted)
		if !ok || e.PrevLeaderID != s.wantPrev || e.LeaderID != s.wantLeader {
			t.Fatalf("step %d: bid.accepted = prev %q leader %q, want prev %q leader %q", i, e.PrevLeaderID,
				e.LeaderID, s.wantPrev, s.wantLeader)
		}
		checkOutbid(t, h, s.wantOutbid, e.HighBid)
	}
	// A maximum that answers a rival: the rival's bid.accepted names the
	// leader it displaced even though the proxy takes the lead back.
	mustAccept(t, h.max("lot-1", "carol", 50_000))
	e, _ := h.sink.last(EventBidAccepted)
	if e.PrevLeaderID != "alice" || e.LeaderID != "carol" {
		t.Fatalf("maximum: prev %q leader %q, want alice then carol", e.PrevLeaderID, e.LeaderID)
	}
	checkOutbid(t, h, "alice", e.HighBid)
	mustAccept(t, h.bid("lot-1", "dave", 10_000))
	e, _ = h.sink.last(EventBidAccepted)
	if e.PrevLeaderID != "carol" || e.LeaderID != "carol" {
		t.Fatalf("proxy answer: prev %q leader %q, want carol kept", e.PrevLeaderID, e.LeaderID)
	}
	checkOutbid(t, h, "", e.HighBid)
}

// checkOutbid checks the last committed decision's outbid bidder and, when
// there is one, the price that outbid them.
func checkOutbid(t *testing.T, h *harness, want string, price Money) {
	t.Helper()
	ds := h.store.lastDecisions()
	if len(ds) != 1 {
		t.Fatalf("last batch had %d decisions, want 1", len(ds))
	}
	if d := ds[0]; d.Outbid != want || (want != "" && d.HighBid != price) {
		t.Fatalf("decision outbid %q at %+v, want %q at %+v", d.Outbid, d.HighBid, want, price)
	}
}
