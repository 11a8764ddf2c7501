package bidding

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/auction"
)

// Applier decides batches of sequenced bids. ApplyBatch gets bids in
// ingress order and returns one outcome per bid, in the same order. It
// must make every decision durable (accepted bids and lot state, and the
// rejections, in Postgres) before it returns, and must be idempotent by
// (bidder, bid_id): applying a bid that was already decided returns the
// original outcome. A bid that can never be applied (it names data the
// room or the database refuses) must be decided as rejected, not returned
// as an error: an error decides nothing, the batch is retried, and nothing
// later in the room is applied meanwhile. A batch that fails with an error
// retrying cannot cure (see permanent) is applied again one bid at a time.
type Applier interface {
	ApplyBatch(ctx context.Context, bids []Bid) ([]Outcome, error)
}

// maxBatch bounds the bids one batch takes from the room's log, so that
// one transaction stays short even after a long outage.
const maxBatch = 500

// sequencer applies one room's bids strictly in ingress order, exactly once,
// in batches: each pass takes every bid already sequenced for the room (up
// to maxBatch) from its Redis log in one script call, has the applier
// decide and commit them together, then stores their outcomes and removes
// their log entries, in the same round trip as the next take (a pass ends
// only with a take that finds nothing new, so nothing is left queued). A single goroutine (run) owns its
// state; the nudge listener and the Asynq handler talk to it through
// requests that carry their own reply channel.
type sequencer struct {
	roomID   string
	rdb      redis.UniversalClient
	applier  Applier
	outcomes *Outcomes
	log      *slog.Logger
	retry    retryPolicy
	stages   *Stages // nil records nothing

	reqs chan seqRequest
	done chan struct{}
	// Owned by run.
	next   int64            // the next sequence number to apply
	recent map[int64]string // bid key of recently applied sequence numbers
	oldest int64            // lowest sequence number kept in recent
	// pending holds the outcomes and log trims of applied batches until
	// the next take sends them.
	pending redis.Pipeliner
	// applied is next-1, for other goroutines (Pipeline.Drained): every
	// bid numbered up to it is decided and durable.
	applied atomic.Int64
}

// recentBids is how many applied bids the sequencer remembers, so that
// Asynq's copy of a bid applied from the log completes without a lookup.
const recentBids = 4096

// seqRequest asks the sequencer to apply everything up to upTo. hint, when
// set, is the bid numbered upTo (Asynq's copy of it).
type seqRequest struct {
	upTo  int64
	hint  *Bid
	reply chan error // nil for fire-and-forget nudges
	at    time.Time  // when the request was made (StageQueue)
}

// retryPolicy bounds the retries of a transient apply failure inside the
// sequencer, so that a later bid never overtakes an earlier one.
type retryPolicy struct {
	attempts int
	first    time.Duration
	max      time.Duration
}

func newSequencer(roomID string, next int64, rdb redis.UniversalClient, applier Applier, outcomes *Outcomes, log *slog.Logger) *sequencer {
	s := &sequencer{
		roomID: roomID, rdb: rdb, applier: applier, outcomes: outcomes, log: log,
		retry:  retryPolicy{attempts: 6, first: 20 * time.Millisecond, max: 500 * time.Millisecond},
		reqs:   make(chan seqRequest, 256),
		done:   make(chan struct{}),
		recent: map[int64]string{},
		oldest: next,
	}
	s.setNext(next)
	return s
}

// setNext moves the next sequence number to apply (run's goroutine only).
func (s *sequencer) setNext(n int64) {
	s.next = n
	s.applied.Store(n - 1)
}

// run serves requests until ctx ends. Requests queued together are served
// by one pass: the pass applies everything sequenced so far anyway.
func (s *sequencer) run(ctx context.Context) {
	defer close(s.done)
	defer func() {
		// The last pass's outcomes and trims, if queued, still go out.
		fctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s.flush(fctx)
	}()
	batch := make([]seqRequest, 0, cap(s.reqs))
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-s.reqs:
			batch = append(batch[:0], r)
		}
	more:
		for len(batch) < cap(batch) {
			select {
			case r := <-s.reqs:
				batch = append(batch, r)
			default:
				break more
			}
		}
		s.serve(ctx, batch)
	}
}

// serve answers one group of requests: Asynq's copies of bids applied
// before are settled on their own, the rest by one advance.
func (s *sequencer) serve(ctx context.Context, reqs []seqRequest) {
	var upTo int64
	var waiting []chan error
	now := time.Now()
	for _, r := range reqs {
		s.stages.Observe(StageQueue, now.Sub(r.at))
		if r.hint != nil && r.hint.Seq < s.next {
			err := s.applyStray(ctx, *r.hint)
			if r.reply != nil {
				r.reply <- err
			}
			continue
		}
		upTo = max(upTo, r.upTo)
		if r.reply != nil {
			waiting = append(waiting, r.reply)
		}
	}
	// Requests waiting (nudges of new bids) start the next pass, whose take
	// sends this pass's outcomes and trims; with none, they go out now. A
	// stopping sequencer leaves them to run's last flush, whose context is
	// still live.
	defer func() {
		if len(s.reqs) == 0 && ctx.Err() == nil {
			s.flush(ctx)
		}
	}()
	if upTo == 0 {
		return
	}
	err := s.advance(ctx, upTo)
	if err != nil && len(waiting) == 0 && ctx.Err() == nil {
		s.log.Warn("applying nudged bids failed; the queue will redeliver", "up_to", upTo, "err", err)
	}
	for _, w := range waiting {
		w <- err
	}
}

// nudge asks, without waiting, for everything up to seq to be applied. A
// full request buffer drops the nudge: the Asynq backstop covers it.
func (s *sequencer) nudge(seq int64, hint *Bid) {
	select {
	case s.reqs <- seqRequest{upTo: seq, hint: hint, at: time.Now()}:
	default:
	}
}

// deliver is the Asynq path: it returns once b (and every bid before it) has
// been applied, or with the error that stopped it.
func (s *sequencer) deliver(ctx context.Context, b Bid) error {
	reply := make(chan error, 1)
	select {
	case s.reqs <- seqRequest{upTo: b.Seq, hint: &b, reply: reply, at: time.Now()}:
	case <-s.done:
		return errSequencerStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-s.done:
		return errSequencerStopped
	case <-ctx.Done():
		return ctx.Err()
	}
}

var errSequencerStopped = errors.New("room sequencer stopped")

// advance applies every bid sequenced so far, batch by batch, at least up
// to upTo. A number below next was applied before, unless Redis lost writes
// and handed it out again (see applyStray).
func (s *sequencer) advance(ctx context.Context, upTo int64) error {
	for {
		bids, last, err := s.take(ctx)
		if err != nil {
			return err
		}
		if last < s.next {
			if s.next <= upTo {
				// Nudged or delivered beyond the counter: Redis lost the
				// counter and the log with it. Nothing is left to apply.
				s.log.Warn("bids numbered beyond the room's counter; skipping", "next", s.next, "up_to", upTo)
				s.setNext(upTo + 1)
			}
			return nil
		}
		if err := s.applyRange(ctx, bids, last); err != nil {
			return err
		}
		if s.next > upTo {
			return nil
		}
	}
}

// applyRange applies bids (the entries present of next..last) as one
// batch, or one by one if the batch holds a bid retrying cannot cure, and
// moves next past last.
func (s *sequencer) applyRange(ctx context.Context, bids []Bid, last int64) error {
	outs, err := s.applyWithRetry(ctx, bids)
	if err != nil && permanent(err) && len(bids) > 1 {
		s.log.Warn("a batch holds a bid that cannot be applied; applying its bids one by one",
			"bids", len(bids), "err", err)
		for _, b := range bids {
			if err := s.applyRange(ctx, []Bid{b}, b.Seq); err != nil {
				return err
			}
		}
		return s.finish(ctx, nil, nil, last)
	}
	if err != nil {
		return err
	}
	return s.finish(ctx, bids, outs, last)
}

// applyStray handles a bid whose number is behind the sequencer: Asynq's
// copy of a bid applied from the log completes at once, with the outcome
// stored then; any other is checked by its key and applied if unknown.
func (s *sequencer) applyStray(ctx context.Context, b Bid) error {
	if s.recent[b.Seq] == bidKey(b.BidderID, b.BidID) {
		return nil
	}
	out, err := s.outcomes.Get(ctx, "", b.BidderID, b.BidID)
	if err == nil && out.Status != StatusPending {
		return nil // applied before: this is Asynq's copy of a nudged bid
	}
	if err != nil && !errors.Is(err, ErrUnknownBid) {
		return err
	}
	s.log.Warn("bid sequenced behind the applied watermark (Redis lost writes?); applying it now",
		"seq", b.Seq, "next", s.next, "bid_id", b.BidID)
	outs, err := s.applyWithRetry(ctx, []Bid{b})
	if err != nil {
		return err
	}
	if err := s.outcomes.Put(ctx, outs[0]); err != nil {
		s.log.Warn("caching outcome failed", "bid_id", b.BidID, "err", err)
	}
	return nil
}

// applyWithRetry retries transient failures with bounded backoff inside the
// sequencer, so order is kept; after the last attempt the error goes back to
// the caller (Asynq then redelivers, and nothing later is applied meanwhile).
// A permanent failure of a batch returns at once (the caller splits it);
// of a single bid, the bid is refused.
func (s *sequencer) applyWithRetry(ctx context.Context, bids []Bid) ([]Outcome, error) {
	wait := s.retry.first
	for attempt := 1; ; attempt++ {
		outs, err := s.applier.ApplyBatch(ctx, bids)
		if err == nil {
			if len(outs) != len(bids) {
				return nil, fmt.Errorf("applier decided %d of %d bids", len(outs), len(bids))
			}
			return outs, nil
		}
		if permanent(err) && ctx.Err() == nil {
			if len(bids) > 1 {
				return nil, err
			}
			// The applier should have decided this bid itself (see
			// Applier); retrying would hold up the room for good.
			return []Outcome{s.refuse(bids[0], err)}, nil
		}
		if attempt >= s.retry.attempts || ctx.Err() != nil {
			return nil, fmt.Errorf("apply %d bids from seq %d after %d attempts: %w", len(bids), bids[0].Seq, attempt, err)
		}
		s.log.Warn("apply bids failed; retrying", "bids", len(bids), "seq", bids[0].Seq, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, s.retry.max)
	}
}

// refuse decides b as rejected (invalid_bid) when its applier failed it
// with an error retrying cannot cure: the room moves on, and the bidder can
// read the outcome by the bid's key.
func (s *sequencer) refuse(b Bid, cause error) Outcome {
	s.log.Error("bid cannot be applied; rejecting it", "bid_id", b.BidID, "seq", b.Seq, "err", cause)
	out := outcomeOf(b)
	out.Status, out.Reason = StatusRejected, string(auction.ReasonInvalidBid)
	return out
}
