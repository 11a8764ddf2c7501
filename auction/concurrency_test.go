package auction

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestConcurrentBidders has many goroutines bid on one room (run with
// -race): every bid gets an answer, and the result obeys the leader rule.
func TestConcurrentBidders(t *testing.T) {
	h := newHarness(t, Config{}).run()
	h.start(testLot("lot-1", dynamic))
	var seq atomic.Int64
	var accepted atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bidder := fmt.Sprintf("bidder-%d", g)
			for i := 0; i < 100; i++ {
				s, err := h.room.Snapshot(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				n := seq.Add(1)
				b := Bid{ID: fmt.Sprintf("c%d", n), LotID: "lot-1", BidderID: bidder,
					Amount: s.Lot.NextMin, ReceivedAt: h.clock.Now(), Seq: n}
				var res BidResult
				if i%10 == 0 {
					b.Amount.Amount += 1_000
					res, err = h.room.SetMaxBid(context.Background(), b)
				} else {
					res, err = h.room.PlaceBid(context.Background(), b)
				}
				if err != nil {
					t.Error(err)
					return
				}
				if res.Accepted {
					accepted.Add(1)
				} else if res.Reason != ReasonTooLow && res.Reason != ReasonDuplicate {
					// Sequences are taken before the bid is sent, so a later
					// one can overtake: those are duplicates here.
					t.Errorf("unexpected rejection %s", res.Reason)
				}
			}
		}()
	}
	wg.Wait()
	if accepted.Load() == 0 {
		t.Fatal("no bid accepted")
	}
	s := h.snap()
	checkLeaderRule(t, h.store.Bids("lot-1"), s.Lot)
}

// TestRunEndsOnCancel is the goroutine leak check: cancelling the room's
// context ends its goroutine, and callers blocked on it return.
func TestRunEndsOnCancel(t *testing.T) {
	before := runtime.NumGoroutine()
	for i := 0; i < 50; i++ {
		r, err := NewRoom(Config{RoomID: "r", SellerID: "s"}, SystemClock{}, NewMemStore(), &recSink{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go r.Run(ctx)
		if err := r.StartLot(ctx, testLot(fmt.Sprint("lot-", i), suddenDeath)); err != nil {
			t.Fatal(err)
		}
		cancel()
		<-r.Done()
		if _, err := r.Snapshot(context.Background()); err != ErrRoomStopped {
			t.Fatalf("after stop: %v", err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines before, %d after: leak", before, n)
	}
}

// TestSynctestClock drives the real SystemClock inside a synctest bubble:
// the actor's own timer closes the lot at the deadline plus the grace with
// no command and no real waiting.
func TestSynctestClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sink := &recSink{}
		store := NewMemStore()
		r, err := NewRoom(Config{RoomID: "r", SellerID: "s"}, SystemClock{}, store, sink, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go r.Run(ctx)
		if err := r.StartLot(ctx, testLot("lot-1", softClose)); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		time.Sleep(55 * time.Second)
		res, err := r.PlaceBid(ctx, Bid{ID: "x", LotID: "lot-1", BidderID: "a", Amount: Money{1_000, "EUR"}, ReceivedAt: time.Now(), Seq: 1})
		if err != nil || !res.Accepted || !res.Deadline.Equal(start.Add(65*time.Second)) {
			t.Fatalf("bid: %+v %v", res, err)
		}
		time.Sleep(10*time.Second - time.Nanosecond)
		synctest.Wait()
		if _, ok := sink.last(EventLotClosing); ok {
			t.Fatal("closing before the extended deadline")
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if _, ok := sink.last(EventLotClosing); !ok {
			t.Fatal("not closing at the deadline")
		}
		time.Sleep(500 * time.Millisecond)
		synctest.Wait()
		ev, ok := sink.last(EventLotClosed)
		if !ok || ev.Result.WinnerID != "a" || !ev.At.Equal(start.Add(65500*time.Millisecond)) {
			t.Fatalf("closed event %+v", ev)
		}
		cancel()
		<-r.Done()
	})
}
