package bidding

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/events"
	"github.com/bidcast/bidcast/storage"
)

// restart stops the show's room and starts it again on the same node, so
// the pipeline catches up on whatever was sequenced meanwhile.
func (s *liveShow) restart() {
	s.t.Helper()
	s.room.Stop()
	running, err := s.rooms.StartRoom(context.Background(), s.roomID)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(running.Stop)
	s.room, _ = s.rooms.Get(s.roomID)
}

// storedLot reads the show's lot from Postgres.
func (s *liveShow) storedLot() storage.Lot {
	s.t.Helper()
	l, err := storage.NewLots(s.db).Get(context.Background(), s.lotID)
	if err != nil {
		s.t.Fatal(err)
	}
	return l
}

// publicPrices returns the prices of the public copies of the room's
// bid.accepted events, in the order of the room's event log.
func (s *liveShow) publicPrices() []int64 {
	s.t.Helper()
	evs, err := events.NewRedisLog(s.rdb).Since(context.Background(), s.roomID, 0, events.Retention)
	if err != nil {
		s.t.Fatal(err)
	}
	var prices []int64
	for _, ev := range evs {
		if ev.Type != auction.EventBidAccepted || ev.To != "" {
			continue
		}
		var pe events.PublicEvent
		if err := json.Unmarshal(ev.Data, &pe); err != nil {
			s.t.Fatal(err)
		}
		prices = append(prices, pe.HighBid.Amount)
	}
	return prices
}

// TestBatchDecidesEverySequencedBidInOneTransaction sequences bids while
// the room is down, then starts it: the pipeline takes them all in one
// batch, which the actor decides in order and commits in one transaction
// (the lot's version moves by one), every bid gets the outcome it would
// have had alone, every row is stored, and viewers see the accepted bids
// in ingress order with a strictly increasing price.
func TestBatchDecidesEverySequencedBidInOneTransaction(t *testing.T) {
	s := startLiveShow(t, "soft-close", 10*time.Minute)
	before := s.storedLot().Version
	s.room.Stop()
	const n = 60
	ids := make([]string, n)
	want := make([]string, n)
	amount := int64(10_000)
	var accepted []int64
	for i := range n {
		ids[i] = fmt.Sprintf("storm-%d", i)
		bid := amount
		if i%5 == 4 {
			bid, want[i] = 9_000, string(auction.ReasonTooLow)
		} else {
			want[i] = StatusAccepted
			accepted = append(accepted, bid)
			amount = amount * 11 / 10
		}
		s.submit(i%3, ids[i], bid)
	}
	s.restart()
	for i := range n {
		got := s.outcomeOf(i%3, ids[i])
		if got.Status == StatusAccepted && want[i] != StatusAccepted || got.Status != StatusAccepted && got.Reason != want[i] {
			t.Fatalf("bid %d: %s/%s, want %s", i, got.Status, got.Reason, want[i])
		}
	}
	if v := s.storedLot().Version; v != before+1 {
		t.Fatalf("lot version %d after the batch, want %d: one transaction for all %d bids", v, before+1, n)
	}
	bids, err := storage.NewBids(s.db).ListByLot(context.Background(), s.lotID, 1000)
	if err != nil || len(bids) != n {
		t.Fatalf("stored %d rows (%v), want %d", len(bids), err, n)
	}
	for i, b := range bids {
		if b.IngressSeq != int64(i+1) || (b.Outcome == storage.OutcomeAccepted) != (want[i] == StatusAccepted) {
			t.Fatalf("row %d = seq %d %s/%s, want seq %d %s", i, b.IngressSeq, b.Outcome, b.Reason, i+1, want[i])
		}
	}
	var prices []int64
	waitFor(t, "every accepted bid published", func() bool {
		prices = s.publicPrices()
		return len(prices) >= len(accepted)
	})
	for i, p := range prices {
		if p != accepted[i] {
			t.Fatalf("published price %d is %d, want %d (prices %v)", i, p, accepted[i], prices)
		}
	}
}

// TestStormInTheLastSecond sends a storm of bids in the last second of a
// lot and just after its deadline, with a fake clock, while the room is
// busy (down), and has them decided in one batch after the deadline has
// passed: every bid received before the deadline in force is accepted (the
// deadline is judged by receive time, not decision time), none received
// after it is, and the lot is sold to the last bid received in time.
func TestStormInTheLastSecond(t *testing.T) {
	for _, tc := range []struct {
		policy string
		extend time.Duration // soft-close's window, zero for a hard deadline
	}{
		{"soft-close", 10 * time.Second},
		{"sudden-death", 0},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			s := startLiveShow(t, tc.policy, 10*time.Minute)
			deadline := s.lot().Deadline
			s.room.Stop()
			type sent struct {
				id     string
				at     time.Time
				amount int64
			}
			var storm []sent
			amount := int64(10_000)
			add := func(at time.Time) {
				s.clock.Set(at)
				b := sent{id: fmt.Sprintf("s-%d", len(storm)), at: at, amount: amount}
				s.submit(len(storm)%3, b.id, b.amount)
				storm = append(storm, b)
				amount = amount * 11 / 10
			}
			for at := deadline.Add(-time.Second); !at.After(deadline.Add(200 * time.Millisecond)); at = at.Add(20 * time.Millisecond) {
				add(at)
			}
			// The model: the deadline in force moves only with accepted
			// bids, as of their receive time.
			d := deadline
			if tc.extend > 0 {
				for _, b := range storm {
					if d.Sub(b.at) < tc.extend {
						d = b.at.Add(tc.extend)
					}
				}
				// One bid after the extended deadline, for the soft-close
				// lot too.
				add(d.Add(time.Millisecond))
			}
			decideAt := storm[len(storm)-1].at.Add(100 * time.Millisecond)
			s.clock.Set(decideAt) // past every deadline, inside the grace
			s.restart()
			d = deadline
			var winner sent
			for i, b := range storm {
				got := s.outcomeOf(i%3, b.id)
				inTime := !b.at.After(d)
				switch {
				case inTime && got.Status != StatusAccepted:
					t.Fatalf("bid received %v before the deadline %v: %s/%s, want accepted",
						d.Sub(b.at), d, got.Status, got.Reason)
				case !inTime && (got.Status != StatusRejected || got.Reason != string(auction.ReasonAfterDeadline)):
					t.Fatalf("bid received %v after the deadline: %s/%s, want after_deadline",
						b.at.Sub(d), got.Status, got.Reason)
				}
				if inTime {
					winner = b
					if tc.extend > 0 && d.Sub(b.at) < tc.extend {
						d = b.at.Add(tc.extend)
					}
				}
			}
			s.clock.Set(decideAt.Add(time.Second)) // the grace ends
			s.advanceUntilClosed("sold")           // through any held close's retries
			res, err := storage.NewLots(s.db).GetResult(context.Background(), s.lotID)
			if err != nil {
				t.Fatal(err)
			}
			if res.WinningBidID == nil || *res.WinningBidID != winner.id || *res.Price != winner.amount {
				t.Fatalf("result %+v, want %s at %d", res, winner.id, winner.amount)
			}
		})
	}
}

// TestTaskOfADecidedBidCompletesAtOnce: Asynq's copy of a bid that an
// earlier batch decided (here, by the room's previous run) completes at
// once with the stored outcome, without deciding the bid again.
func TestTaskOfADecidedBidCompletesAtOnce(t *testing.T) {
	ctx := context.Background()
	rdb := testRedis(t)
	room, lot := newUUID(), newUUID()
	app := newRecordingApplier()
	outcomes := NewOutcomes(rdb, nil)
	in := NewIngress(rdb, outcomes, IngressConfig{})
	var receipts []Receipt
	for i := range 5 {
		rc, err := in.Submit(ctx, sampleBid(room, lot, i))
		if err != nil {
			t.Fatal(err)
		}
		receipts = append(receipts, rc)
	}
	cfg := PipelineConfig{TaskCheckInterval: 50 * time.Millisecond}
	p, err := StartPipeline(ctx, room, rdb, app, outcomes, app, cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the backlog applied", func() bool { return len(app.snapshot()) == 5 })
	p.Stop()

	p, err = StartPipeline(ctx, room, rdb, app, outcomes, app, cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	for _, rc := range receipts {
		if err := p.seq.deliver(ctx, rc.Bid); err != nil {
			t.Fatalf("task of decided bid %d: %v", rc.Bid.Seq, err)
		}
	}
	if got := app.snapshot(); len(got) != 5 {
		t.Fatalf("applied %v, want each of the 5 bids once", got)
	}
	app.mu.Lock()
	batches := append([]int(nil), app.batches...)
	app.mu.Unlock()
	if len(batches) != 1 || batches[0] != 5 {
		t.Fatalf("batches %v, want one of 5", batches)
	}
}
