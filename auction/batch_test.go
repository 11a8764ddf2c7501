package auction

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// decide runs one batch through DecideBids and fails the test on an error.
func (h *harness) decide(bids []BatchBid) []BidResult {
	h.t.Helper()
	res, err := h.room.DecideBids(context.Background(), bids)
	if err != nil {
		h.t.Fatalf("DecideBids: %v", err)
	}
	if len(res) != len(bids) {
		h.t.Fatalf("DecideBids returned %d results for %d bids", len(res), len(bids))
	}
	return res
}

// batchOps turns fuzz bytes into bids and clock moves: each pair (op, arg)
// is a plain bid or a maximum of a bidder at some increments above or
// below the current price, received a little before or after now, or a
// clock move. Both rooms of compareBatch see the same operations.
type batchOp struct {
	bid     BatchBid
	advance time.Duration
	flush   bool // end of a batch
}

func batchOps(data []byte, lotID string, start time.Time) []batchOp {
	var ops []batchOp
	now := start
	var seq int64
	price := int64(1_000)
	for i := 0; i+1 < len(data); i += 2 {
		op, arg := data[i], data[i+1]
		switch op % 8 {
		case 6:
			d := time.Duration(arg) * 40 * time.Millisecond
			now = now.Add(d)
			ops = append(ops, batchOp{advance: d, flush: true})
			continue
		case 7:
			ops = append(ops, batchOp{flush: true})
			continue
		}
		seq++
		bidder := bidders[int(arg)%len(bidders)]
		steps := int64(arg%7) - 1 // one below .. five above the last price seen
		price += 100 * steps
		if price < 900 {
			price = 900
		}
		skew := time.Duration(int(arg>>3)-16) * 25 * time.Millisecond // received up to 400 ms before or after now
		b := Bid{ID: fmt.Sprintf("b%d", seq), LotID: lotID, BidderID: bidder,
			Amount: Money{Amount: price, Currency: "EUR"}, ReceivedAt: now.Add(skew), Seq: seq}
		if op%8 == 5 {
			b.LotID = "other-lot"
		}
		ops = append(ops, batchOp{bid: BatchBid{Bid: b, Max: op%8 == 4}})
	}
	return ops
}

// compareBatch decides the same bids in two rooms, one at a time through
// PlaceBid and SetMaxBid in one and in batches through DecideBids in the
// other, and checks that every bid gets the same outcome, that the rooms
// end in the same state with the same committed bids, and that the
// batch room emits the same bid events in the same order.
func compareBatch(t *testing.T, clock ClockConfig, data []byte) {
	one := newHarness(t, Config{Grace: 300 * time.Millisecond}).run()
	bat := newHarness(t, Config{Grace: 300 * time.Millisecond}).run()
	lot := testLot("lot-1", clock)
	lot.Reserve = 2_000
	one.start(lot)
	bat.start(lot)
	ops := batchOps(data, lot.ID, one.clock.Now())
	var pending []BatchBid
	var want []BidResult
	flush := func() {
		if len(pending) == 0 {
			return
		}
		got := bat.decide(pending)
		for i := range got {
			g, w := got[i], want[len(want)-len(pending)+i]
			if g.Accepted != w.Accepted || g.Reason != w.Reason || g.HighBid != w.HighBid ||
				g.LeaderID != w.LeaderID || !g.Deadline.Equal(w.Deadline) || g.Status != w.Status ||
				g.Leading != w.Leading || len(g.AutoBids) != len(w.AutoBids) {
				t.Fatalf("bid %s (%d of a batch of %d): batch gave %+v, one at a time %+v",
					pending[i].Bid.ID, i, len(pending), g, w)
			}
		}
		pending = pending[:0]
	}
	for _, op := range ops {
		if op.flush {
			flush()
		}
		if op.advance > 0 {
			one.clock.Advance(op.advance)
			bat.clock.Advance(op.advance)
			// A command ticks first, so after these both rooms have done
			// what time made due, whenever their timers are handled.
			one.snap()
			bat.snap()
			continue
		}
		if op.flush {
			continue
		}
		var res BidResult
		var err error
		if op.bid.Max {
			res, err = one.room.SetMaxBid(context.Background(), op.bid.Bid)
		} else {
			res, err = one.room.PlaceBid(context.Background(), op.bid.Bid)
		}
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, res)
		pending = append(pending, op.bid)
	}
	flush()
	a, b := one.snap(), bat.snap()
	if (a.Lot == nil) != (b.Lot == nil) || a.Lot != nil && (a.Lot.HighBid != b.Lot.HighBid ||
		a.Lot.LeaderID != b.Lot.LeaderID || !a.Lot.Deadline.Equal(b.Lot.Deadline) || a.Lot.Status != b.Lot.Status) {
		t.Fatalf("final lot differs: one at a time %+v, batch %+v", a.Lot, b.Lot)
	}
	sa, _ := one.store.Lot(lot.ID)
	sb, _ := bat.store.Lot(lot.ID)
	if sa.HighBid != sb.HighBid || sa.LeaderID != sb.LeaderID || sa.HighBidID != sb.HighBidID ||
		!sa.Deadline.Equal(sb.Deadline) || sa.BidCount != sb.BidCount || sa.LastSeq != sb.LastSeq ||
		len(sa.Proxies) != len(sb.Proxies) {
		t.Fatalf("committed lot differs: one at a time %+v, batch %+v", sa, sb)
	}
	ba, bb := one.store.Bids(lot.ID), bat.store.Bids(lot.ID)
	if len(ba) != len(bb) {
		t.Fatalf("committed %d bids one at a time, %d in batches", len(ba), len(bb))
	}
	for i := range ba {
		if ba[i] != bb[i] {
			t.Fatalf("committed bid %d: one at a time %+v, batch %+v", i, ba[i], bb[i])
		}
	}
	checkBidEvents(t, one.sink.all(), bat.sink.all())
}

// checkBidEvents compares the bid events of two rooms, and checks that the
// accepted bids' prices strictly increase.
func checkBidEvents(t *testing.T, one, bat []Event) {
	t.Helper()
	pick := func(evs []Event) []Event {
		var out []Event
		for _, e := range evs {
			if e.Type == EventBidAccepted || e.Type == EventBidRejected {
				out = append(out, e)
			}
		}
		return out
	}
	a, b := pick(one), pick(bat)
	if len(a) != len(b) {
		t.Fatalf("%d bid events one at a time, %d in batches", len(a), len(b))
	}
	var last int64
	for i := range a {
		if a[i].Type != b[i].Type || a[i].Bid.ID != b[i].Bid.ID || a[i].Reason != b[i].Reason ||
			a[i].HighBid != b[i].HighBid || !a[i].Deadline.Equal(b[i].Deadline) || a[i].PrevLeaderID != b[i].PrevLeaderID {
			t.Fatalf("event %d: one at a time %+v, batch %+v", i, a[i], b[i])
		}
		if b[i].Type == EventBidAccepted {
			if b[i].HighBid.Amount < last || b[i].HighBid.Amount == last && b[i].AutoBids == nil && b[i].Bid.Kind != KindMax {
				t.Fatalf("event %d: price %d after %d", i, b[i].HighBid.Amount, last)
			}
			last = b[i].HighBid.Amount
		}
	}
}

// FuzzBatchMatchesOneByOne checks that deciding bids in batches gives every
// bid the outcome, and the room the state, that deciding them one at a
// time at the same instants gives: go test -fuzz FuzzBatchMatchesOneByOne ./auction/
func FuzzBatchMatchesOneByOne(f *testing.F) {
	f.Add(byte(0), []byte{0, 9, 0, 17, 1, 3, 7, 0, 0, 9, 4, 41, 0, 2, 6, 250, 0, 1})
	f.Add(byte(1), []byte{0, 1, 0, 2, 0, 3, 0, 4, 6, 255, 6, 255, 6, 255, 0, 5, 0, 6, 0, 200, 7, 0, 0, 250})
	f.Add(byte(2), []byte{4, 50, 0, 17, 0, 25, 5, 1, 0, 33, 6, 200, 0, 41, 0, 1, 6, 255, 6, 255, 0, 49})
	f.Add(byte(0), []byte{0, 9, 6, 255, 6, 255, 6, 255, 6, 255, 6, 255, 0, 10, 0, 11, 0, 12, 0, 255, 0, 254})
	f.Fuzz(func(t *testing.T, policy byte, data []byte) {
		if len(data) > 1_000 {
			return
		}
		clocks := []ClockConfig{
			{Policy: PolicySoftClose, DurationMS: 10_000, ExtendMS: 3_000},
			{Policy: PolicySuddenDeath, DurationMS: 10_000},
			{Policy: PolicyDynamic, DurationMS: 10_000, FloorMS: 2_000, Tiers: []Tier{{500, 1_000}, {2_000, 4_000}}},
		}
		compareBatch(t, clocks[int(policy)%len(clocks)], data)
	})
}

// TestBatchCommitFailureChangesNothing: a batch whose commit fails leaves
// the room as it was and emits nothing; the same batch then succeeds.
func TestBatchCommitFailureChangesNothing(t *testing.T) {
	h := newHarness(t, Config{}).run()
	h.start(testLot("lot-1", softClose))
	before := h.snap()
	events := len(h.sink.all())
	h.store.Fail = func() error { return errors.New("db down") }
	batch := []BatchBid{{Bid: h.mkBid("lot-1", "ann", 1_000, 0)}, {Bid: h.mkBid("lot-1", "ben", 900, 0)},
		{Bid: h.mkBid("lot-1", "cat", 1_200, 0)}}
	res, err := h.room.DecideBids(context.Background(), batch)
	if err == nil {
		t.Fatal("DecideBids succeeded with the store down")
	}
	for i, r := range res {
		if r.Accepted || r.Reason != ReasonUnavailable || r.Err == nil {
			t.Fatalf("bid %d: %+v, want unavailable with its error", i, r)
		}
	}
	if after := h.snap(); after.Lot.HighBid != before.Lot.HighBid || after.Lot.Version != before.Lot.Version {
		t.Fatalf("failed batch changed the lot: %+v", after.Lot)
	}
	if n := len(h.sink.all()); n != events {
		t.Fatalf("failed batch emitted %d events", n-events)
	}
	h.store.Fail = nil
	res = h.decide(batch)
	mustAccept(t, res[0])
	mustReject(t, res[1], ReasonTooLow)
	mustAccept(t, res[2])
	if st, _ := h.store.Lot("lot-1"); st.Version != before.Lot.Version+1 || st.HighBid != 1_200 {
		t.Fatalf("committed %+v, want one version up at 1200", st)
	}
}

// TestBatchRefusedBidsKeepTheirPlace: a bid the caller refuses is rejected
// with its reason, in its place, and the bids after it are judged as if it
// had never raised the price.
func TestBatchRefusedBidsKeepTheirPlace(t *testing.T) {
	h := newHarness(t, Config{}).run()
	h.start(testLot("lot-1", softClose))
	res := h.decide([]BatchBid{
		{Bid: h.mkBid("lot-1", "ann", 1_000, 0)},
		{Bid: h.mkBid("lot-1", "ben", 5_000, 0), Refuse: ReasonDuplicate, NoRecord: true},
		{Bid: h.mkBid("lot-1", "cat", 1_100, 0)},
	})
	mustAccept(t, res[0])
	mustReject(t, res[1], ReasonDuplicate)
	mustAccept(t, res[2])
	if res[2].HighBid.Amount != 1_100 {
		t.Fatalf("high bid %d, want 1100", res[2].HighBid.Amount)
	}
}
