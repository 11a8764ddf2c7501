package bidding

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/internal/testenv"
)

// recordingApplier stands in for the room actor and Postgres: it decides
// every bid "accepted", remembers decisions by bid_id (idempotent, as the
// real one is through the bids table's unique key) and records apply order.
type recordingApplier struct {
	mu      sync.Mutex
	order   []int64
	decided map[string]Outcome
	failN   int   // fail this many ApplyBatch calls first
	batches []int // the size of each batch applied
}

func newRecordingApplier() *recordingApplier {
	return &recordingApplier{decided: map[string]Outcome{}}
}

func (a *recordingApplier) ApplyBatch(_ context.Context, bids []Bid) ([]Outcome, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.failN > 0 {
		a.failN--
		return nil, errors.New("transient: database restarting")
	}
	a.batches = append(a.batches, len(bids))
	outs := make([]Outcome, len(bids))
	for i, b := range bids {
		if out, ok := a.decided[b.BidID]; ok {
			outs[i] = out
			continue
		}
		out := outcomeOf(b)
		out.Status, out.Decided = StatusAccepted, time.Now()
		a.decided[b.BidID] = out
		a.order = append(a.order, b.Seq)
		outs[i] = out
	}
	return outs, nil
}

func (a *recordingApplier) AppliedSeq(context.Context, string) (int64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var max int64
	for _, s := range a.order {
		max = s
	}
	return max, nil
}

func (a *recordingApplier) snapshot() []int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]int64(nil), a.order...)
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func testRedis(t testing.TB) redis.UniversalClient {
	t.Helper()
	opts, err := redis.ParseURL(testenv.Require(t, "REDIS_URL"))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func sampleBid(room, lot string, n int) Bid {
	return Bid{RoomID: room, LotID: lot, BidID: fmt.Sprintf("b-%d-%s", n, newUUID()[:8]), BidderID: newUUID(),
		Amount: int64(1000 + n), Currency: "KRW", Kind: KindBid}
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// runUntilCleanup runs run on a goroutine of its own until the test ends,
// then cancels its context, waits for it and reports an error it returned.
func runUntilCleanup(t testing.TB, run func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("stopped with an error: %v", err)
		}
	})
}

func checkStrictOrder(t *testing.T, got []int64, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("applied %d bids, want %d", len(got), n)
	}
	for i, s := range got {
		if s != int64(i+1) {
			t.Fatalf("apply #%d had seq %d, want %d (order %v)", i, s, i+1, got)
		}
	}
}

func TestStrictOrderUnderConcurrentSubmission(t *testing.T) {
	ctx := context.Background()
	rdb := testRedis(t)
	room, lot := newUUID(), newUUID()
	app := newRecordingApplier()
	outcomes := NewOutcomes(rdb, nil)
	p, err := StartPipeline(ctx, room, rdb, app, outcomes, app, PipelineConfig{TaskCheckInterval: 50 * time.Millisecond}, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	in := NewIngress(rdb, outcomes, IngressConfig{})

	const workers, each = 8, 40
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if _, err := in.Submit(ctx, sampleBid(room, lot, w*each+i)); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	waitFor(t, "all bids applied", func() bool { return len(app.snapshot()) == workers*each })
	checkStrictOrder(t, app.snapshot(), workers*each)
}

func TestDuplicateBidIDReturnsOriginal(t *testing.T) {
	ctx := context.Background()
	rdb := testRedis(t)
	room, lot := newUUID(), newUUID()
	app := newRecordingApplier()
	outcomes := NewOutcomes(rdb, nil)
	in := NewIngress(rdb, outcomes, IngressConfig{})

	b := sampleBid(room, lot, 1)
	first, err := in.Submit(ctx, b)
	if err != nil || first.Duplicate || first.Bid.Seq != 1 || first.Outcome.Status != StatusPending {
		t.Fatalf("first submit = %+v, %v", first, err)
	}
	// Before the room's owner applies it, a retry sees it pending.
	again, err := in.Submit(ctx, b)
	if err != nil || !again.Duplicate || again.Bid.Seq != 1 || again.Outcome.Status != StatusPending {
		t.Fatalf("retry before apply = %+v, %v", again, err)
	}
	p, err := StartPipeline(ctx, room, rdb, app, outcomes, app, PipelineConfig{TaskCheckInterval: 50 * time.Millisecond}, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	waitFor(t, "bid applied", func() bool { return len(app.snapshot()) == 1 })
	// The outcome is stored after the apply, with the sequencer's next
	// round trip to Redis.
	waitFor(t, "outcome stored", func() bool {
		out, err := outcomes.Get(ctx, room, b.BidderID, b.BidID)
		return err == nil && out.Status != StatusPending
	})
	// Let Asynq deliver its copy too; it must not apply a second time.
	time.Sleep(200 * time.Millisecond)
	late, err := in.Submit(ctx, b)
	if err != nil || !late.Duplicate || late.Outcome.Status != StatusAccepted || late.Outcome.Seq != 1 {
		t.Fatalf("retry after apply = %+v, %v", late, err)
	}
	if got := app.snapshot(); len(got) != 1 {
		t.Fatalf("applied %v, want exactly one bid", got)
	}
	if out, err := outcomes.Get(ctx, room, b.BidderID, b.BidID); err != nil || out.Status != StatusAccepted {
		t.Fatalf("outcome by bid_id = %+v, %v", out, err)
	}
	if _, err := outcomes.Get(ctx, room, b.BidderID, "never-sent"); !errors.Is(err, ErrUnknownBid) {
		t.Fatalf("unknown bid_id: err = %v", err)
	}
}

func TestPipelineCatchesUpAndResumesAfterRestart(t *testing.T) {
	ctx := context.Background()
	rdb := testRedis(t)
	room, lot := newUUID(), newUUID()
	app := newRecordingApplier()
	outcomes := NewOutcomes(rdb, nil)
	in := NewIngress(rdb, outcomes, IngressConfig{})
	cfg := PipelineConfig{TaskCheckInterval: 50 * time.Millisecond}

	// Bids arrive while no node owns the room: they wait in Redis.
	for i := 0; i < 20; i++ {
		if _, err := in.Submit(ctx, sampleBid(room, lot, i)); err != nil {
			t.Fatal(err)
		}
	}
	p, err := StartPipeline(ctx, room, rdb, app, outcomes, app, cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "backlog applied", func() bool { return len(app.snapshot()) == 20 })
	p.Stop()

	// More bids while the owner is down, with the first apply attempts
	// failing (a database restart): order still holds, nothing is doubled.
	for i := 20; i < 40; i++ {
		if _, err := in.Submit(ctx, sampleBid(room, lot, i)); err != nil {
			t.Fatal(err)
		}
	}
	app.mu.Lock()
	app.failN = 3
	app.mu.Unlock()
	p, err = StartPipeline(ctx, room, rdb, app, outcomes, app, cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	for i := 40; i < 60; i++ {
		if _, err := in.Submit(ctx, sampleBid(room, lot, i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "all bids applied", func() bool { return len(app.snapshot()) == 60 })
	time.Sleep(200 * time.Millisecond) // Asynq's copies arrive and are recognized
	checkStrictOrder(t, app.snapshot(), 60)
}

func TestSubmitRejectsMalformedBids(t *testing.T) {
	rdb := testRedis(t)
	in := NewIngress(rdb, NewOutcomes(rdb, nil), IngressConfig{})
	good := sampleBid(newUUID(), newUUID(), 1)
	tests := []struct {
		name   string
		mutate func(*Bid)
	}{
		{"zero amount", func(b *Bid) { b.Amount = 0 }},
		{"negative amount", func(b *Bid) { b.Amount = -5 }},
		{"huge amount", func(b *Bid) { b.Amount = MaxAmount + 1 }},
		{"bad room", func(b *Bid) { b.RoomID = "../x" }},
		{"bad lot", func(b *Bid) { b.LotID = "" }},
		{"empty bid id", func(b *Bid) { b.BidID = "" }},
		{"long bid id", func(b *Bid) { b.BidID = string(make([]byte, 65)) }},
		{"spaces in bid id", func(b *Bid) { b.BidID = "a b" }},
		{"lowercase currency", func(b *Bid) { b.Currency = "krw" }},
		{"unknown kind", func(b *Bid) { b.Kind = "snipe" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := good
			tc.mutate(&b)
			if _, err := in.Submit(context.Background(), b); !errors.Is(err, ErrInvalidBid) {
				t.Fatalf("Submit = %v, want ErrInvalidBid", err)
			}
		})
	}
	// Nothing was sequenced for the room.
	if n, _ := rdb.Get(context.Background(), seqKey(good.RoomID)).Int64(); n != 0 {
		t.Fatalf("room sequence = %d after only bad bids, want 0", n)
	}
}

// TestBidBetweenSeedAndSubscribeIsApplied: a bid sequenced while the
// pipeline starts, after it read the counter and before its subscription
// took, publishes its nudge to no one. The pipeline reads the counter again
// once subscribed, so the bid is applied at once rather than by its
// backstop task (an hour away here).
func TestBidBetweenSeedAndSubscribeIsApplied(t *testing.T) {
	ctx := context.Background()
	rdb := testRedis(t)
	room, lot := newUUID(), newUUID()
	app := newRecordingApplier()
	outcomes := NewOutcomes(rdb, nil)
	in := NewIngress(rdb, outcomes, IngressConfig{TaskBackstop: time.Hour})
	// Nothing is waiting when the pipeline seeds, so only a nudge after
	// the subscription can bring the bid in.
	hook := func(r string) {
		if r != room {
			return
		}
		if _, err := in.Submit(ctx, sampleBid(room, lot, 0)); err != nil {
			t.Error(err)
		}
	}
	testHookAfterSeed.Store(&hook)
	t.Cleanup(func() { testHookAfterSeed.Store(nil) })
	p, err := StartPipeline(ctx, room, rdb, app, outcomes, app, PipelineConfig{TaskCheckInterval: 50 * time.Millisecond}, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	waitFor(t, "the bid sequenced during the start applied", func() bool { return len(app.snapshot()) == 1 })
	checkStrictOrder(t, app.snapshot(), 1)
}
