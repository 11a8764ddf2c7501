package bidding

import (
	"context"
	"testing"
	"time"
)

// gatedApplier is a recordingApplier that decides nothing until its gate
// opens: a pipeline backlog that outlasts a lot's grace.
type gatedApplier struct {
	*recordingApplier
	gate chan struct{}
}

func (a *gatedApplier) ApplyBatch(ctx context.Context, bids []Bid) ([]Outcome, error) {
	select {
	case <-a.gate:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return a.recordingApplier.ApplyBatch(ctx, bids)
}

// TestDrainedWaitsForBidsSequencedByTheDeadline holds a lot's close
// (Pipeline.Drained says no) while bids sequenced before it was first
// asked are undecided, marks the counter at that first ask so bids
// sequenced later do not hold it, and reads a new mark for a new deadline.
func TestDrainedWaitsForBidsSequencedByTheDeadline(t *testing.T) {
	ctx := context.Background()
	rdb := testRedis(t)
	room, lot := newUUID(), newUUID()
	app := &gatedApplier{recordingApplier: newRecordingApplier(), gate: make(chan struct{})}
	outcomes := NewOutcomes(rdb, nil)
	in := NewIngress(rdb, outcomes, IngressConfig{})
	for i := 0; i < 10; i++ { // received in time, waiting in Redis
		if _, err := in.Submit(ctx, sampleBid(room, lot, i)); err != nil {
			t.Fatal(err)
		}
	}
	p, err := StartPipeline(ctx, room, rdb, app, outcomes, app.recordingApplier,
		PipelineConfig{TaskCheckInterval: 50 * time.Millisecond}, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()

	deadline := time.Now()
	if ok, err := p.Drained(ctx, deadline); ok || err != nil {
		t.Fatalf("Drained with 10 bids undecided = %v, %v; want false", ok, err)
	}
	for i := 10; i < 15; i++ { // sequenced after the first ask: late
		if _, err := in.Submit(ctx, sampleBid(room, lot, i)); err != nil {
			t.Fatal(err)
		}
	}
	if ok, _ := p.Drained(ctx, deadline); ok {
		t.Fatal("Drained says yes while the backlog is still undecided")
	}
	close(app.gate)
	waitFor(t, "the backlog decided", func() bool {
		ok, err := p.Drained(ctx, deadline)
		return ok && err == nil
	})
	if p.drain.upTo != 10 {
		t.Errorf("the close waited for bid %d, want 10 (the counter at the first ask)", p.drain.upTo)
	}
	// Another deadline (a soft-close extension) reads a new mark.
	waitFor(t, "every bid decided", func() bool { return len(app.snapshot()) == 15 })
	if ok, err := p.Drained(ctx, deadline.Add(time.Second)); !ok || err != nil || p.drain.upTo != 15 {
		t.Errorf("Drained for a new deadline = %v, %v with mark %d; want true with mark 15", ok, err, p.drain.upTo)
	}
}
