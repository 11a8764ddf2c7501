package bidding

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Outcome statuses.
const (
	StatusPending  = "pending"
	StatusAccepted = "accepted"
	StatusRejected = "rejected"
)

// Outcome is what became of one bid.
type Outcome struct {
	BidID    string `json:"bid_id"`
	RoomID   string `json:"room_id"`
	LotID    string `json:"lot_id"`
	BidderID string `json:"bidder_id"`
	Seq      int64  `json:"seq"`
	// Status is pending, accepted or rejected.
	Status string `json:"status"`
	// Reason is the stable rejection code (too_low, after_deadline, ...).
	Reason   string    `json:"reason,omitempty"`
	Amount   int64     `json:"amount"`
	Currency string    `json:"currency"`
	Decided  time.Time `json:"decided_at,omitzero"`
}

// outcomeTTL is how long an outcome stays in Redis for quick lookups by
// bid_id (a client retrying a bid after a reconnect, a backstop task of a
// bid already decided); Postgres keeps it for good and answers after
// (Get). Each is ~500 bytes of Redis memory: at 3,000 bids/s an hour of
// them was ~5 GB, and every append-only rewrite copied what was there.
const outcomeTTL = 2 * time.Minute

// OutcomeArchive finds a decided bid in durable storage when Redis no longer
// has it. The storage package implements it over the bids table.
type OutcomeArchive interface {
	FindOutcome(ctx context.Context, bidderID, bidID string) (Outcome, bool, error)
}

// ErrUnknownBid is returned by Outcomes.Get for a bid_id the bidder never
// submitted.
var ErrUnknownBid = errors.New("unknown bid_id")

// Outcomes stores and looks up bid outcomes by (bidder, bid_id).
type Outcomes struct {
	rdb     redis.UniversalClient
	archive OutcomeArchive
}

// NewOutcomes returns an outcome store over Redis with archive as the
// fallback (nil for none).
func NewOutcomes(rdb redis.UniversalClient, archive OutcomeArchive) *Outcomes {
	return &Outcomes{rdb: rdb, archive: archive}
}

// Put records a decided outcome.
func (o *Outcomes) Put(ctx context.Context, out Outcome) error {
	pipe := o.rdb.Pipeline()
	if err := o.queue(ctx, pipe, out); err != nil {
		return err
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("store outcome of %s: %w", out.BidID, err)
	}
	return nil
}

// queue adds the command that records out to pipe.
func (o *Outcomes) queue(ctx context.Context, pipe redis.Pipeliner, out Outcome) error {
	b, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("encode outcome of %s: %w", out.BidID, err)
	}
	pipe.Set(ctx, outcomeKey(out.BidderID, out.BidID), b, outcomeTTL)
	return nil
}

// outcomeOf returns b's outcome before it is decided: the bid's fields,
// pending.
func outcomeOf(b Bid) Outcome {
	return Outcome{BidID: b.BidID, RoomID: b.RoomID, LotID: b.LotID, BidderID: b.BidderID, Seq: b.Seq,
		Status: StatusPending, Amount: b.Amount, Currency: b.Currency}
}

// Get returns the outcome of the bid bidderID sent as bidID: decided (from
// Redis or the archive), pending (submitted to roomID but not yet applied),
// or ErrUnknownBid.
func (o *Outcomes) Get(ctx context.Context, roomID, bidderID, bidID string) (Outcome, error) {
	b, err := o.rdb.Get(ctx, outcomeKey(bidderID, bidID)).Bytes()
	switch {
	case err == nil:
		var out Outcome
		if err := json.Unmarshal(b, &out); err != nil {
			return Outcome{}, fmt.Errorf("decode outcome of %s: %w", bidID, err)
		}
		return out, nil
	case !errors.Is(err, redis.Nil):
		return Outcome{}, fmt.Errorf("read outcome of %s: %w", bidID, err)
	}
	if o.archive != nil {
		out, ok, err := o.archive.FindOutcome(ctx, bidderID, bidID)
		if err != nil {
			return Outcome{}, fmt.Errorf("find outcome of %s: %w", bidID, err)
		}
		if ok {
			return out, nil
		}
	}
	if roomID != "" {
		seq, err := o.rdb.HGet(ctx, bidIDsKey(roomID), bidKey(bidderID, bidID)).Int64()
		if err == nil {
			return Outcome{BidID: bidID, RoomID: roomID, BidderID: bidderID, Seq: seq, Status: StatusPending}, nil
		}
		if !errors.Is(err, redis.Nil) {
			return Outcome{}, fmt.Errorf("read ingress record of %s: %w", bidID, err)
		}
	}
	return Outcome{}, ErrUnknownBid
}
