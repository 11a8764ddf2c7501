package bidding

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hibiken/asynq"
)

// TestNudgedBidsSkipTheLogRead: the nudge carries each bid, so bids
// applied from their nudges are applied in ingress order without a read of
// the log; a bid sequenced without a nudge (a lost one) leaves a gap, which
// the log fills, still in order.
func TestNudgedBidsSkipTheLogRead(t *testing.T) {
	ctx := context.Background()
	rdb := testRedis(t)
	room, lot := newUUID(), newUUID()
	app := newRecordingApplier()
	outcomes := NewOutcomes(rdb, nil)
	st := NewStages()
	// The room's Asynq queue is paused, so the nudges alone deliver.
	inspector := asynq.NewInspectorFromRedisClient(rdb)
	if err := inspector.PauseQueue(QueueName(room)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = inspector.UnpauseQueue(QueueName(room))
		deleteQueue(t, rdb, room)
	})
	p, err := StartPipeline(ctx, room, rdb, app, outcomes, app,
		PipelineConfig{TaskCheckInterval: 50 * time.Millisecond, Stages: st}, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	in := NewIngress(rdb, outcomes, IngressConfig{})
	defer in.Close()
	reads := func() uint64 { return st.Snapshot()[StageRead].Count() }

	const n = 20
	for i := range n {
		if _, err := in.Submit(ctx, sampleBid(room, lot, i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the nudged bids applied", func() bool { return len(app.snapshot()) == n })
	checkStrictOrder(t, app.snapshot(), n)
	if r := reads(); r != 0 {
		t.Errorf("the log was read %d times for bids every nudge carried", r)
	}

	// Bid n+1 is sequenced and logged, but its nudge goes nowhere.
	lost := sampleBid(room, lot, n)
	payload, _ := json.Marshal(lost)
	if err := sequenceScript.Run(ctx, rdb,
		[]string{seqKey(room), bidIDsKey(room), logKey(room), receivedKey(room)},
		bidKey(lost.BidderID, lost.BidID), payload, "bidcast:nowhere", 3600, "").Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Submit(ctx, sampleBid(room, lot, n+1)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the gap filled from the log", func() bool { return len(app.snapshot()) == n+2 })
	checkStrictOrder(t, app.snapshot(), n+2)
	if reads() == 0 {
		t.Error("a gap was filled without reading the log")
	}
}
