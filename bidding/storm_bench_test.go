package bidding

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// stormApplier decides every bid of a batch after a fixed pause (standing
// in for the batch's Postgres commit) and records, per bid, the time from
// its receive stamp to its decision.
type stormApplier struct {
	commit time.Duration
	mu     sync.Mutex
	lat    []time.Duration
	seen   map[int64]bool
}

func (a *stormApplier) ApplyBatch(_ context.Context, bids []Bid) ([]Outcome, error) {
	time.Sleep(a.commit)
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	outs := make([]Outcome, len(bids))
	for i, b := range bids {
		outs[i] = outcomeOf(b)
		outs[i].Status = StatusAccepted
		if !a.seen[b.Seq] {
			a.seen[b.Seq] = true
			a.lat = append(a.lat, now.Sub(b.ReceivedAt))
		}
	}
	return outs, nil
}

func (a *stormApplier) AppliedSeq(context.Context, string) (int64, error) { return 0, nil }

func (a *stormApplier) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.lat)
}

// BenchmarkStormOneRoom offers bids to one room's pipeline at a fixed rate
// (open loop, 8 submitters) for b.N bids and reports the time from each
// bid's receive stamp to its decision (p50, p99), with a 3 ms pause per
// batch standing in for the commit. Postgres, the actor and the publisher
// are left out, so the figure is the sequencing path alone:
//
//	go test ./bidding -run '^$' -bench StormOneRoom -benchtime 2500x
func BenchmarkStormOneRoom(b *testing.B) {
	const rate = 500.0
	ctx := context.Background()
	rdb := testRedis(b)
	room, lot := newUUID(), newUUID()
	b.Cleanup(func() { deleteQueue(b, rdb, room) })
	app := &stormApplier{commit: 3 * time.Millisecond, seen: map[int64]bool{}}
	outcomes := NewOutcomes(rdb, nil)
	p, err := StartPipeline(ctx, room, rdb, app, outcomes, app, PipelineConfig{}, quietLog())
	if err != nil {
		b.Fatal(err)
	}
	defer p.Stop()
	in := NewIngress(rdb, outcomes, IngressConfig{})
	bids := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range bids {
				if _, err := in.Submit(ctx, sampleBid(room, lot, i)); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))))
		bids <- i
	}
	close(bids)
	wg.Wait()
	deadline := time.Now().Add(30 * time.Second)
	for app.count() < b.N && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	b.StopTimer()
	app.mu.Lock()
	lat := slices.Clone(app.lat)
	app.mu.Unlock()
	if len(lat) < b.N {
		b.Fatalf("decided %d of %d bids", len(lat), b.N)
	}
	slices.Sort(lat)
	q := func(f float64) float64 { return float64(lat[int(f*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}
