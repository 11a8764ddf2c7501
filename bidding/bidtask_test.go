package bidding

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/internal/testenv"
)

// TestBidTaskIsAsynqs holds the ingress script to Asynq's storage layout:
// the task it writes reads back through asynq.Inspector as the task
// asynq.Client would have enqueued (type, ID, queue, retry budget, timeout,
// scheduled two seconds ahead, the queue registered), and an asynq.Server
// runs it with the bid's log entry as its payload and then deletes it.
func TestBidTaskIsAsynqs(t *testing.T) {
	ctx := context.Background()
	rdb := testRedis(t)
	room, lot := newUUID(), newUUID()
	t.Cleanup(func() { deleteQueue(t, rdb, room) })
	in := NewIngress(rdb, NewOutcomes(rdb, nil), IngressConfig{})
	bid := sampleBid(room, lot, 1)
	// A long bid_id makes the payload's length a varint of two bytes.
	bid.BidID = strings.Repeat("b", 60)
	before := time.Now()
	rec, err := in.Submit(ctx, bid)
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspectorFromRedisClient(rdb)
	q := QueueName(room)
	info, err := insp.GetTaskInfo(q, bidKey(bid.BidderID, bid.BidID))
	if err != nil {
		t.Fatalf("the bid's task through the inspector: %v", err)
	}
	if info.Type != TaskPlaceBid || info.Queue != q || info.ID != bidKey(bid.BidderID, bid.BidID) ||
		info.MaxRetry != bidTaskMaxRetry || info.Timeout != bidTaskTimeout || info.State != asynq.TaskStateScheduled {
		t.Fatalf("task = type %q queue %q id %q retry %d timeout %v state %v", info.Type, info.Queue, info.ID,
			info.MaxRetry, info.Timeout, info.State)
	}
	if due := info.NextProcessAt.Sub(before); due < time.Second-time.Millisecond || due > bidTaskBackstop+time.Second {
		t.Fatalf("task due %v after the bid, want 1–3 s", due)
	}
	got, err := decodeLogEntry(string(info.Payload))
	if err != nil || got.Seq != rec.Bid.Seq || !got.ReceivedAt.Equal(rec.Bid.ReceivedAt) || got.BidID != bid.BidID ||
		got.Amount != bid.Amount {
		t.Fatalf("payload %s decodes to %+v, %v; want seq %d received %v", info.Payload, got, err,
			rec.Bid.Seq, rec.Bid.ReceivedAt)
	}
	queues, err := insp.Queues()
	if err != nil || !slices.Contains(queues, q) {
		t.Fatalf("queues %v, %v: the room's queue is not registered", queues, err)
	}

	// Due now, an asynq.Server runs it with the payload, then deletes it.
	if err := insp.RunTask(q, info.ID); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var ran []Bid
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: 1, Queues: map[string]int{q: 1},
		TaskCheckInterval: 20 * time.Millisecond, LogLevel: asynq.FatalLevel})
	mux := asynq.NewServeMux()
	mux.HandleFunc(TaskPlaceBid, func(_ context.Context, t *asynq.Task) error {
		b, err := decodeLogEntry(string(t.Payload()))
		mu.Lock()
		defer mu.Unlock()
		if err == nil {
			ran = append(ran, b)
		}
		return err
	})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	waitFor(t, "the task run and deleted", func() bool {
		_, err := insp.GetTaskInfo(q, info.ID)
		mu.Lock()
		defer mu.Unlock()
		return len(ran) == 1 && errors.Is(err, asynq.ErrTaskNotFound)
	})
	if ran[0].Seq != rec.Bid.Seq || ran[0].BidID != bid.BidID {
		t.Fatalf("ran %+v", ran[0])
	}
}

// TestDecidedBidsLeaveNoTask: the owner drops the tasks of the bids it
// decided while they are still scheduled, so Asynq never runs them.
func TestDecidedBidsLeaveNoTask(t *testing.T) {
	ctx := context.Background()
	rdb := testRedis(t)
	room, lot := newUUID(), newUUID()
	t.Cleanup(func() { deleteQueue(t, rdb, room) })
	app := newRecordingApplier()
	outcomes := NewOutcomes(rdb, nil)
	// Tasks that never come due during the test: only the owner's drop
	// can remove them.
	in := NewIngress(rdb, outcomes, IngressConfig{TaskBackstop: time.Hour})
	p, err := StartPipeline(ctx, room, rdb, app, outcomes, app, PipelineConfig{TaskCheckInterval: 50 * time.Millisecond}, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	const n = 20
	var bids []Bid
	for i := 1; i <= n; i++ {
		b := sampleBid(room, lot, i)
		if _, err := in.Submit(ctx, b); err != nil {
			t.Fatal(err)
		}
		bids = append(bids, b)
	}
	waitFor(t, "all bids applied", func() bool { return len(app.snapshot()) == n })
	waitFor(t, "the scheduled tasks dropped", func() bool {
		return rdb.ZCard(ctx, asynqScheduledKey(room)).Val() == 0
	})
	insp := asynq.NewInspectorFromRedisClient(rdb)
	for i, b := range bids {
		if _, err := insp.GetTaskInfo(QueueName(room), bidKey(b.BidderID, b.BidID)); !errors.Is(err, asynq.ErrTaskNotFound) {
			t.Fatalf("task of decided bid %d: %v, want it gone", i+1, err)
		}
	}
	checkStrictOrder(t, app.snapshot(), n)
}

// TestDropLeavesTakenUpTasks: a task Asynq has already moved on (due, so
// pending) is left to it: deleting its hash would break Asynq's own
// bookkeeping, and its handler completes at once anyway.
func TestDropLeavesTakenUpTasks(t *testing.T) {
	ctx := context.Background()
	rdb := testRedis(t)
	room, lot := newUUID(), newUUID()
	t.Cleanup(func() { deleteQueue(t, rdb, room) })
	in := NewIngress(rdb, NewOutcomes(rdb, nil), IngressConfig{})
	due, scheduled := sampleBid(room, lot, 1), sampleBid(room, lot, 2)
	for _, b := range []Bid{due, scheduled} {
		if _, err := in.Submit(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	insp := asynq.NewInspectorFromRedisClient(rdb)
	q := QueueName(room)
	if err := insp.RunTask(q, bidKey(due.BidderID, due.BidID)); err != nil {
		t.Fatal(err)
	}
	pipe := rdb.Pipeline()
	queueDropTasks(ctx, pipe, room, []Bid{due, scheduled})
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if info, err := insp.GetTaskInfo(q, bidKey(due.BidderID, due.BidID)); err != nil || info.State != asynq.TaskStatePending {
		t.Fatalf("the pending task: %+v, %v; want it left pending", info, err)
	}
	if _, err := insp.GetTaskInfo(q, bidKey(scheduled.BidderID, scheduled.BidID)); !errors.Is(err, asynq.ErrTaskNotFound) {
		t.Fatalf("the scheduled task: %v, want it gone", err)
	}
}

// TestResubscriptionCatchesUp: a nudge published while the owner's
// subscription was down is lost; the re-subscription (go-redis reconnects
// by itself) makes the owner read everything sequenced meanwhile, without
// waiting for the bid's backstop task (here never due).
func TestResubscriptionCatchesUp(t *testing.T) {
	ctx := context.Background()
	rdb := testRedis(t)
	opts, err := redis.ParseURL(testenv.Require(t, "REDIS_URL"))
	if err != nil {
		t.Fatal(err)
	}
	name := "bidcast-test-" + newUUID()[:8]
	opts.ClientName = name
	owner := redis.NewClient(opts)
	t.Cleanup(func() { owner.Close() })
	room, lot := newUUID(), newUUID()
	t.Cleanup(func() { deleteQueue(t, rdb, room) })
	app := newRecordingApplier()
	outcomes := NewOutcomes(rdb, nil)
	stages := NewStages()
	p, err := StartPipeline(ctx, room, owner, app, outcomes, app,
		PipelineConfig{TaskCheckInterval: 50 * time.Millisecond, Stages: stages}, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	in := NewIngress(rdb, outcomes, IngressConfig{TaskBackstop: time.Hour})
	nudges := func() uint64 { return stages.Snapshot()[StageNudge].Count() }
	for attempt := 1; ; attempt++ {
		// Cut the owner's subscription, and sequence a bid at once: its
		// nudge goes out before go-redis has subscribed again.
		killSubscriber(t, rdb, name)
		before := nudges()
		if _, err := in.Submit(ctx, sampleBid(room, lot, attempt)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the bid applied", func() bool { return len(app.snapshot()) == attempt })
		if nudges() == before {
			break // its nudge was lost, and the bid applied all the same
		}
		if attempt == 5 {
			t.Skip("every nudge got through: go-redis re-subscribed before each bid")
		}
	}
}

// killSubscriber closes the Redis connection of the client called name
// that holds a subscription.
func killSubscriber(t *testing.T, rdb redis.UniversalClient, name string) {
	t.Helper()
	list, err := rdb.ClientList(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(list, "\n") {
		fields := map[string]string{}
		for _, f := range strings.Fields(line) {
			k, v, _ := strings.Cut(f, "=")
			fields[k] = v
		}
		if fields["name"] == name && fields["sub"] != "0" && fields["sub"] != "" {
			if err := rdb.ClientKillByFilter(context.Background(), "ID", fields["id"]).Err(); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no subscriber named %s in CLIENT LIST", name)
}
