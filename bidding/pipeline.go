package bidding

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/internal/asynqlog"
)

// PipelineConfig tunes a room's pipeline.
type PipelineConfig struct {
	// TaskCheckInterval is how often the room's idle asynq.Server polls its
	// queue. Nudges apply bids at once, so the poll is only the backstop for
	// missed nudges; it sets the idle Redis cost of a room. Zero means 1 s.
	TaskCheckInterval time.Duration
	// ShutdownTimeout bounds how long stopping waits for a bid in progress.
	// Zero means 5 s.
	ShutdownTimeout time.Duration
	// Stages, when set, records the time of each stage of a room's batches
	// (shared by every room of the node, and with its Ingress).
	Stages *Stages
}

func (c PipelineConfig) withDefaults() PipelineConfig {
	if c.TaskCheckInterval == 0 {
		c.TaskCheckInterval = time.Second
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 5 * time.Second
	}
	return c
}

// Watermark tells which ingress sequence numbers of a room are already
// decided in durable storage; the storage package implements it.
type Watermark interface {
	AppliedSeq(ctx context.Context, roomID string) (int64, error)
}

// Pipeline runs one live room's bid intake on the node that owns the room:
// the nudge listener, the sequencer, and the room's own asynq.Server.
type Pipeline struct {
	roomID string
	rdb    redis.UniversalClient
	seq    *sequencer
	srv    *asynq.Server
	pubsub *redis.PubSub
	cancel context.CancelFunc
	wg     sync.WaitGroup
	log    *slog.Logger
	stages *Stages
	// drain is the mark a closing lot waits for (Drained).
	drain drainMark
}

// seedScript raises the room's sequence counter to at least ARGV[1], so that
// numbers already decided in Postgres are never handed out again, even if
// Redis lost the counter.
var seedScript = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local floor = tonumber(ARGV[1])
if cur < floor then
  redis.call('SET', KEYS[1], floor)
  return floor
end
return cur
`)

// StartPipeline starts applying roomID's bids through applier. It resumes
// after the highest sequence number decided in durable storage, catches up
// on everything sequenced meanwhile, then follows nudges and the queue.
func StartPipeline(ctx context.Context, roomID string, rdb redis.UniversalClient, applier Applier,
	outcomes *Outcomes, wm Watermark, cfg PipelineConfig, log *slog.Logger) (*Pipeline, error) {
	cfg = cfg.withDefaults()
	log = log.With("room", roomID)
	applied, err := wm.AppliedSeq(ctx, roomID)
	if err != nil {
		return nil, fmt.Errorf("read applied watermark of room %s: %w", roomID, err)
	}
	current, err := seedScript.Run(ctx, rdb, []string{seqKey(roomID)}, applied).Int64()
	if err != nil {
		return nil, fmt.Errorf("seed sequence of room %s: %w", roomID, err)
	}
	if hook := testHookAfterSeed.Load(); hook != nil {
		(*hook)(roomID)
	}
	p := &Pipeline{roomID: roomID, rdb: rdb, log: log, stages: cfg.Stages}
	p.seq = newSequencer(roomID, applied+1, rdb, applier, outcomes, log)
	p.seq.stages = cfg.Stages
	// Subscribe before catching up, so no bid falls between the two.
	p.pubsub = rdb.Subscribe(ctx, nudgeChannel(roomID))
	if _, err := p.pubsub.Receive(ctx); err != nil {
		p.pubsub.Close()
		return nil, fmt.Errorf("subscribe to ingress of room %s: %w", roomID, err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.wg.Add(2)
	go func() { defer p.wg.Done(); p.seq.run(runCtx) }()
	go func() { defer p.wg.Done(); p.listen(runCtx) }()
	// A bid sequenced after the seed but before the subscription took
	// published its nudge to no one; read the counter again now that
	// nudges arrive, so such a bid is not left to its backstop task.
	if cur := p.sequenced(ctx, current); cur > applied {
		p.seq.nudge(cur, nil)
	}

	p.srv = asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency:       1,
		Queues:            map[string]int{QueueName(roomID): 1},
		TaskCheckInterval: cfg.TaskCheckInterval,
		ShutdownTimeout:   cfg.ShutdownTimeout,
		RetryDelayFunc: func(n int, _ error, _ *asynq.Task) time.Duration {
			return min(time.Duration(n)*100*time.Millisecond, 2*time.Second)
		},
		Logger:   asynqlog.New(log),
		LogLevel: asynq.WarnLevel,
	})
	mux := asynq.NewServeMux()
	mux.HandleFunc(TaskPlaceBid, p.handleTask)
	if err := p.srv.Start(mux); err != nil {
		p.Stop()
		return nil, fmt.Errorf("start queue server of room %s: %w", roomID, err)
	}
	log.Info("bid pipeline started", "applied_seq", applied, "sequenced", current)
	return p, nil
}

// listen forwards nudges from Submit to the sequencer. Nudges published
// while the subscription was down (go-redis reconnects it by itself) are
// lost, so each re-subscription asks for everything sequenced so far; the
// bids' Asynq tasks are the backstop behind that.
func (p *Pipeline) listen(ctx context.Context) {
	ch := p.pubsub.ChannelWithSubscriptions(redis.WithChannelSize(1024))
	for {
		select {
		case <-ctx.Done():
			return
		case msg, ok := <-ch:
			if !ok {
				return
			}
			switch m := msg.(type) {
			case *redis.Message:
				if seq, stamp, ok := parseNudge(m.Payload); ok {
					if stamp > 0 {
						p.stages.Observe(StageNudge, time.Since(time.UnixMicro(stamp)))
					}
					p.seq.nudge(seq, nil)
				}
			case *redis.Subscription:
				p.catchUp(ctx)
			}
		}
	}
}

// testHookAfterSeed, when a test sets it, runs between StartPipeline's
// seed of the sequence counter and its subscription to the room's nudges.
var testHookAfterSeed atomic.Pointer[func(roomID string)]

// sequenced is the room's sequence counter, at least floor (the value the
// seed read); floor when it cannot be read, since the first nudge or the
// bids' tasks bring the rest.
func (p *Pipeline) sequenced(ctx context.Context, floor int64) int64 {
	cur, err := p.rdb.Get(ctx, seqKey(p.roomID)).Int64()
	if err != nil {
		if !errors.Is(err, redis.Nil) { // no counter yet: no bid
			p.log.Warn("reading the sequence counter after subscribing failed; the queue will deliver",
				"err", err)
		}
		return floor
	}
	return max(cur, floor)
}

// catchUp asks the sequencer for every bid sequenced so far.
func (p *Pipeline) catchUp(ctx context.Context) {
	if cur := p.sequenced(ctx, 0); cur > 0 {
		p.seq.nudge(cur, nil)
	}
}

// handleTask is the Asynq handler for the room's queue.
func (p *Pipeline) handleTask(ctx context.Context, t *asynq.Task) error {
	// The payload is the bid's log entry (older nodes enqueued the bid's
	// JSON, which decodes the same way).
	b, err := decodeLogEntry(string(t.Payload()))
	if err != nil || b.Seq <= 0 {
		// A task we cannot read will never become readable: drop it.
		p.log.Error("dropping unreadable bid task", "err", err)
		return fmt.Errorf("unreadable bid task: %v: %w", err, asynq.SkipRetry)
	}
	return p.seq.deliver(ctx, b)
}

// Stop stops the queue server (waiting for a bid in progress), the
// listener and the sequencer. It is safe to call more than once.
func (p *Pipeline) Stop() {
	if p.srv != nil {
		p.srv.Shutdown()
		p.srv = nil
	}
	if p.cancel != nil {
		p.cancel()
	}
	if p.pubsub != nil {
		_ = p.pubsub.Close()
	}
	p.wg.Wait()
}
