package bidding

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/auction"
)

// Applier decides sequenced bids. Apply must make the decision durable
// (accepted bid and lot state, or the rejection, in Postgres) before it
// returns, and must be idempotent by (bidder, bid_id): applying a bid that
// was already decided returns the original outcome. A bid that can never be
// applied (it names data the room or the database refuses) must be decided
// as rejected, not returned as an error: an error is retried, and nothing
// later in the room is applied meanwhile.
type Applier interface {
	Apply(ctx context.Context, b Bid) (Outcome, error)
}

// sequencer applies one room's bids strictly in ingress order, exactly once.
// A single goroutine (run) owns its state; the nudge listener and the Asynq
// handler talk to it through requests that carry their own reply channel.
type sequencer struct {
	roomID   string
	rdb      redis.UniversalClient
	applier  Applier
	outcomes *Outcomes
	log      *slog.Logger
	retry    retryPolicy

	reqs chan seqRequest
	done chan struct{}
	next int64 // owned by run: the next sequence number to apply
}

// seqRequest asks the sequencer to apply everything up to upTo. hint, when
// set, is the bid numbered upTo, so it need not be read back from the log.
type seqRequest struct {
	upTo  int64
	hint  *Bid
	reply chan error // nil for fire-and-forget nudges
}

// retryPolicy bounds the retries of a transient apply failure inside the
// sequencer, so that a later bid never overtakes an earlier one.
type retryPolicy struct {
	attempts int
	first    time.Duration
	max      time.Duration
}

func newSequencer(roomID string, next int64, rdb redis.UniversalClient, applier Applier, outcomes *Outcomes, log *slog.Logger) *sequencer {
	return &sequencer{
		roomID: roomID, rdb: rdb, applier: applier, outcomes: outcomes, log: log,
		retry: retryPolicy{attempts: 6, first: 20 * time.Millisecond, max: 500 * time.Millisecond},
		reqs:  make(chan seqRequest, 256),
		done:  make(chan struct{}),
		next:  next,
	}
}

// run serves requests until ctx ends.
func (s *sequencer) run(ctx context.Context) {
	defer close(s.done)
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-s.reqs:
			err := s.advance(ctx, r.upTo, r.hint)
			if r.reply != nil {
				r.reply <- err
			} else if err != nil && ctx.Err() == nil {
				s.log.Warn("applying nudged bids failed; the queue will redeliver", "up_to", r.upTo, "err", err)
			}
		}
	}
}

// nudge asks, without waiting, for everything up to seq to be applied. A
// full request buffer drops the nudge: the Asynq backstop covers it.
func (s *sequencer) nudge(seq int64, hint *Bid) {
	select {
	case s.reqs <- seqRequest{upTo: seq, hint: hint}:
	default:
	}
}

// deliver is the Asynq path: it returns once b (and every bid before it) has
// been applied, or with the error that stopped it.
func (s *sequencer) deliver(ctx context.Context, b Bid) error {
	reply := make(chan error, 1)
	select {
	case s.reqs <- seqRequest{upTo: b.Seq, hint: &b, reply: reply}:
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

// advance applies bids next..upTo in order. A bid numbered below next was
// applied before, unless Redis lost writes and handed its number out again;
// such a bid (hint only) is checked by its key and applied if it is unknown.
func (s *sequencer) advance(ctx context.Context, upTo int64, hint *Bid) error {
	if hint != nil && hint.Seq < s.next {
		return s.applyStray(ctx, *hint)
	}
	for s.next <= upTo {
		seq := s.next
		var b Bid
		if hint != nil && hint.Seq == seq {
			b = *hint
		} else {
			got, ok, err := s.readLog(ctx, seq)
			if err != nil {
				return err
			}
			if !ok {
				// Sequenced with its log entry in one script, so a missing
				// entry means Redis lost it; nobody was told it was accepted.
				s.log.Warn("ingress log entry missing; skipping", "seq", seq)
				s.next++
				continue
			}
			b = got
		}
		if _, err := s.applyWithRetry(ctx, b); err != nil {
			return err
		}
		s.next++
		s.rdb.HDel(ctx, logKey(s.roomID), strconv.FormatInt(seq, 10))
	}
	return nil
}

// applyStray handles a bid whose number is behind the sequencer.
func (s *sequencer) applyStray(ctx context.Context, b Bid) error {
	out, err := s.outcomes.Get(ctx, "", b.BidderID, b.BidID)
	if err == nil && out.Status != StatusPending {
		return nil // applied before: this is Asynq's copy of a nudged bid
	}
	if err != nil && !errors.Is(err, ErrUnknownBid) {
		return err
	}
	s.log.Warn("bid sequenced behind the applied watermark (Redis lost writes?); applying it now",
		"seq", b.Seq, "next", s.next, "bid_id", b.BidID)
	_, err = s.applyWithRetry(ctx, b)
	return err
}

func (s *sequencer) readLog(ctx context.Context, seq int64) (Bid, bool, error) {
	raw, err := s.rdb.HGet(ctx, logKey(s.roomID), strconv.FormatInt(seq, 10)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Bid{}, false, nil
	}
	if err != nil {
		return Bid{}, false, fmt.Errorf("read ingress log entry %d: %w", seq, err)
	}
	var b Bid
	if err := json.Unmarshal(raw, &b); err != nil {
		return Bid{}, false, fmt.Errorf("decode ingress log entry %d: %w", seq, err)
	}
	b.Seq = seq
	return b, true, nil
}

// applyWithRetry retries transient failures with bounded backoff inside the
// sequencer, so order is kept; after the last attempt the error goes back to
// the caller (Asynq then redelivers, and nothing later is applied meanwhile).
func (s *sequencer) applyWithRetry(ctx context.Context, b Bid) (Outcome, error) {
	wait := s.retry.first
	for attempt := 1; ; attempt++ {
		out, err := s.applier.Apply(ctx, b)
		if err == nil {
			if perr := s.outcomes.Put(ctx, out); perr != nil {
				s.log.Warn("caching outcome failed", "bid_id", b.BidID, "err", perr)
			}
			return out, nil
		}
		if permanent(err) && ctx.Err() == nil {
			// The applier should have decided this bid itself (see
			// Applier); retrying would hold up the room for good.
			return s.refuse(ctx, b, err), nil
		}
		if attempt >= s.retry.attempts || ctx.Err() != nil {
			return Outcome{}, fmt.Errorf("apply bid %s (seq %d) after %d attempts: %w", b.BidID, b.Seq, attempt, err)
		}
		s.log.Warn("apply bid failed; retrying", "bid_id", b.BidID, "seq", b.Seq, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return Outcome{}, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, s.retry.max)
	}
}

// refuse decides b as rejected (invalid_bid) when its applier failed it
// with an error retrying cannot cure: the room moves on, and the bidder can
// read the outcome by the bid's key.
func (s *sequencer) refuse(ctx context.Context, b Bid, cause error) Outcome {
	s.log.Error("bid cannot be applied; rejecting it", "bid_id", b.BidID, "seq", b.Seq, "err", cause)
	out := Outcome{BidID: b.BidID, RoomID: b.RoomID, LotID: b.LotID, BidderID: b.BidderID, Seq: b.Seq,
		Status: StatusRejected, Reason: string(auction.ReasonInvalidBid), Amount: b.Amount, Currency: b.Currency,
		Decided: time.Now()}
	if err := s.outcomes.Put(ctx, out); err != nil {
		s.log.Warn("caching outcome failed", "bid_id", b.BidID, "err", err)
	}
	return out
}

// parseNudge splits a nudge message "seq payload" published by Submit.
func parseNudge(msg string) (int64, *Bid, bool) {
	head, payload, _ := strings.Cut(msg, " ")
	seq, err := strconv.ParseInt(head, 10, 64)
	if err != nil || seq <= 0 {
		return 0, nil, false
	}
	if payload == "" {
		return seq, nil, true
	}
	var b Bid
	if err := json.Unmarshal([]byte(payload), &b); err != nil {
		return seq, nil, true
	}
	b.Seq = seq
	return seq, &b, true
}
