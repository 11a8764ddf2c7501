package auction

import "testing"

// TestProxyBidding runs scripted bid sequences on a lot (opening 1000,
// increment 100 below 10,000 and 500 above) and checks price and leader.
func TestProxyBidding(t *testing.T) {
	type op struct {
		max    bool
		bidder string
		amount int64
		want   Reason // "" accepted
	}
	tests := []struct {
		name       string
		reserve    int64
		ops        []op
		price      int64
		leader     string
		autoBidder string // bidder of the last auto bid of the last op, if any
	}{
		{"lone max bids opening", 0, []op{{true, "alice", 5_000, ""}}, 1_000, "alice", "alice"},
		{"max answers a plain bid by one increment", 0, []op{
			{true, "alice", 5_000, ""}, {false, "bob", 2_000, ""},
		}, 2_100, "alice", "alice"},
		{"plain bid above max takes the lead", 0, []op{
			{true, "alice", 5_000, ""}, {false, "bob", 6_000, ""},
		}, 6_000, "bob", ""},
		{"plain bid equal to max loses to the earlier max", 0, []op{
			{true, "alice", 5_000, ""}, {false, "bob", 5_000, ""},
		}, 5_000, "alice", "alice"},
		{"two maxima: higher wins at runner-up plus increment", 0, []op{
			{true, "alice", 5_000, ""}, {true, "bob", 3_000, ""},
		}, 3_100, "alice", "alice"},
		{"two maxima: new higher max wins", 0, []op{
			{true, "alice", 3_000, ""}, {true, "bob", 5_000, ""},
		}, 3_100, "bob", "bob"},
		{"equal maxima: earlier holder leads at the max", 0, []op{
			{true, "alice", 5_000, ""}, {true, "bob", 5_000, ""},
		}, 5_000, "alice", "alice"},
		{"winner capped at own max", 0, []op{
			{true, "alice", 3_050, ""}, {true, "bob", 3_000, ""},
		}, 3_050, "alice", "alice"},
		{"max below next minimum refused", 0, []op{
			{false, "alice", 3_000, ""}, {true, "bob", 3_050, ReasonTooLow},
		}, 3_000, "alice", ""},
		{"leader raises own max silently", 0, []op{
			{true, "alice", 3_000, ""}, {true, "alice", 9_000, ""},
		}, 1_000, "alice", ""},
		{"leader cannot lower max", 0, []op{
			{true, "alice", 3_000, ""}, {true, "alice", 2_000, ReasonTooLow},
		}, 1_000, "alice", ""},
		{"max reaching reserve jumps to reserve", 4_000, []op{
			{true, "alice", 5_000, ""},
		}, 4_000, "alice", "alice"},
		{"max under reserve stays at opening", 6_000, []op{
			{true, "alice", 5_000, ""},
		}, 1_000, "alice", "alice"},
		{"three-way war", 0, []op{
			{true, "alice", 4_000, ""}, {true, "bob", 7_000, ""}, {false, "carol", 6_000, ""},
		}, 6_100, "bob", "bob"},
		{"outbid max holder can bid again", 0, []op{
			{true, "alice", 2_000, ""}, {false, "bob", 3_000, ""}, {false, "alice", 3_100, ""},
		}, 3_100, "alice", ""},
		{"increment band change", 0, []op{
			{true, "alice", 20_000, ""}, {false, "bob", 10_000, ""},
		}, 10_500, "alice", "alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{}).run()
			lot := testLot("lot-1", suddenDeath)
			lot.Reserve = tt.reserve
			h.start(lot)
			var res BidResult
			for i, o := range tt.ops {
				if o.max {
					res = h.max("lot-1", o.bidder, o.amount)
				} else {
					res = h.bid("lot-1", o.bidder, o.amount)
				}
				if o.want == "" && !res.Accepted || o.want != "" && res.Reason != o.want {
					t.Fatalf("op %d: accepted=%v reason=%q, want %q", i, res.Accepted, res.Reason, o.want)
				}
			}
			s := h.snap()
			if s.Lot.HighBid.Amount != tt.price || s.Lot.LeaderID != tt.leader {
				t.Fatalf("price %d leader %q, want %d %q", s.Lot.HighBid.Amount, s.Lot.LeaderID, tt.price, tt.leader)
			}
			if res.Accepted {
				last := ""
				if n := len(res.AutoBids); n > 0 {
					last = res.AutoBids[n-1].BidderID
				}
				if last != tt.autoBidder {
					t.Fatalf("last auto bid by %q, want %q (%+v)", last, tt.autoBidder, res.AutoBids)
				}
			}
			checkLeaderRule(t, h.store.Bids("lot-1"), s.Lot)
		})
	}
}

// checkLeaderRule checks invariant 2 against the committed bids: the
// leader is the earliest bidder of the highest accepted price.
func checkLeaderRule(t testing.TB, bids []BidRecord, lot *LotView) {
	t.Helper()
	var best *BidRecord
	for i := range bids {
		b := &bids[i]
		if b.Kind == KindMax {
			continue
		}
		if best == nil || b.Amount.Amount > best.Amount.Amount || b.Amount.Amount == best.Amount.Amount && b.Seq < best.Seq {
			best = b
		}
	}
	if best == nil {
		if lot.LeaderID != "" {
			t.Fatalf("leader %q without any price bid", lot.LeaderID)
		}
		return
	}
	if best.Amount.Amount != lot.HighBid.Amount || best.BidderID != lot.LeaderID {
		t.Fatalf("leader %q at %d, but earliest highest bid is %q at %d", lot.LeaderID, lot.HighBid.Amount, best.BidderID, best.Amount.Amount)
	}
}

func TestMaxCeilingIsHidden(t *testing.T) {
	h := newHarness(t, Config{}).run()
	h.start(testLot("lot-1", suddenDeath))
	h.max("lot-1", "alice", 9_000)
	ev, _ := h.sink.last(EventBidAccepted)
	if ev.Bid.Kind != KindMax || ev.Bid.Amount.Amount != 0 {
		t.Fatalf("max ceiling leaked in event: %+v", ev.Bid)
	}
	for _, b := range h.snap().History {
		if b.Amount.Amount == 9_000 {
			t.Fatalf("max ceiling leaked in history: %+v", b)
		}
	}
}

func TestAutoIDFitsLimit(t *testing.T) {
	long := string(make([]byte, 64))
	for _, id := range []string{"b1", long} {
		a := autoID("ann", id, 3)
		if len(a) > 64 || a == autoID("ann", id, 4) {
			t.Errorf("autoID(%q) = %q", id, a)
		}
		// A bid_id is unique per bidder only: another bidder's trigger with
		// the same bid_id must not name the proxy holder's bid alike.
		if a == autoID("bob", id, 3) {
			t.Errorf("autoID(%q) is the same for two bidders: %q", id, a)
		}
	}
}
