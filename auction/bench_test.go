package auction

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
)

// nopStore accepts every commit and keeps nothing.
type nopStore struct{}

func (nopStore) CommitBatch(context.Context, BatchCommit) error { return nil }
func (nopStore) CommitLot(context.Context, LotState) error      { return nil }

// nopSink drops events, so benchmarks measure the actor alone.
type nopSink struct{}

func (nopSink) Emit(Event) {}

// BenchmarkBidThroughput measures bids applied per second by one room actor
// with an in-memory store: each iteration is one plain bid at the next
// minimum, sent and answered through the actor's command channel, under a
// dynamic clock (the policy that resets the timer most). Run with -cpu 1.
func BenchmarkBidThroughput(b *testing.B) {
	store := NewMemStore()
	store.KeepBids = false
	clock := NewFakeClock(t0)
	r, err := NewRoom(Config{RoomID: "r", SellerID: "s"}, clock, store, nopSink{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	lot := Lot{ID: "lot", Currency: "EUR", Opening: 100, Increments: Increments{{0, 1}},
		Clock: ClockConfig{Policy: PolicyDynamic, DurationMS: MaxDurationMS, FloorMS: 10_000}}
	if err := r.StartLot(ctx, lot); err != nil {
		b.Fatal(err)
	}
	bidders := [2]string{"alice", "bob"}
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = fmt.Sprint("bid-", i)
	}
	now := clock.Now()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		res, err := r.PlaceBid(ctx, Bid{
			ID: ids[i%len(ids)], LotID: "lot", BidderID: bidders[i%2],
			Amount: Money{Amount: 100 + int64(i), Currency: "EUR"}, ReceivedAt: now, Seq: int64(i + 1),
		})
		if err != nil || !res.Accepted {
			b.Fatalf("bid %d: %v %s", i, err, res.Reason)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "bids/s")
}

// BenchmarkIdleRoomMemory measures the heap and goroutine stack held by each
// idle room: a running actor with a live lot and its armed timer. Each
// iteration builds 10,000 rooms; the metrics are bytes/room (heap and
// stack) and stack-bytes/room, the part that is goroutine stack. Starting
// the lot runs a command, which grows the actor's stack from 2 KiB to 4 KiB;
// the runtime never shrinks it back (it shrinks only stacks using under a
// quarter of their size, counting an 800-byte guard).
func BenchmarkIdleRoomMemory(b *testing.B) {
	const rooms = 10_000
	var store nopStore // the database's memory is not the room's
	lot := testLot("lot", suddenDeath)
	lot.Clock.DurationMS = 3_600_000
	for n := 0; n < b.N; n++ {
		ctx, cancel := context.WithCancel(context.Background())
		before, stackBefore := memInUse(), stackInUse()
		rs := make([]*Room, rooms)
		for i := range rs {
			r, err := NewRoom(Config{RoomID: fmt.Sprint("room-", i), SellerID: "s"}, SystemClock{}, store, nopSink{}, nil)
			if err != nil {
				b.Fatal(err)
			}
			rs[i] = r
			go r.Run(ctx)
			l := lot
			l.ID = fmt.Sprint("lot-", i)
			if err := r.StartLot(ctx, l); err != nil {
				b.Fatal(err)
			}
		}
		after, stack := memInUse(), stackInUse()
		b.ReportMetric(float64(after-before)/rooms, "bytes/room")
		b.ReportMetric(float64(stack-stackBefore)/rooms, "stack-bytes/room")
		cancel()
		for _, r := range rs {
			<-r.Done()
		}
		runtime.KeepAlive(rs)
	}
}

// memInUse returns heap plus goroutine stack bytes in use, after a GC so
// garbage and oversized stacks are not counted.
func memInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}

func stackInUse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.StackInuse
}
