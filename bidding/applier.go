package bidding

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bidcast/bidcast/auction"
)

// ErrRoomBroken is returned while a room's actor disagrees with Postgres
// (a commit whose result was lost); the room is being restarted from the
// stored state and the bid is retried after.
var ErrRoomBroken = errors.New("room state diverged from storage; restarting the room")

// roomApplier is a live room's Applier: it hands each batch of sequenced
// bids to the room actor, which decides them in order and commits every
// decision, accepted and rejected, with the lot's state in one Postgres
// transaction before anyone is told (auction.Room.DecideBids, LotStore).
type roomApplier struct {
	room *LiveRoom
}

// ApplyBatch implements Applier.
func (a *roomApplier) ApplyBatch(ctx context.Context, bids []Bid) ([]Outcome, error) {
	a.room.touch()
	items := make([]auction.BatchBid, len(bids))
	seen := make(map[string]struct{}, len(bids))
	for i, b := range bids {
		items[i] = auction.BatchBid{Bid: b.auction(), Max: b.Kind == KindMax}
		if err := b.Validate(); err != nil {
			// Submit refuses these, so only a damaged log entry or task
			// (or an older node's) gets here; its values may not even be
			// storable, so it leaves no row.
			a.room.log.Error("bid cannot be applied; rejecting it", "bid_id", b.BidID, "seq", b.Seq, "err", err)
			items[i].Refuse, items[i].NoRecord = auction.ReasonInvalidBid, true
			continue
		}
		// Submit sequences a key once; two in a batch means Redis lost
		// the dedupe record. The later one is the duplicate.
		k := bidKey(b.BidderID, b.BidID)
		if _, dup := seen[k]; dup {
			items[i].Refuse, items[i].NoRecord = auction.ReasonDuplicate, true
		}
		seen[k] = struct{}{}
	}
	// Each round that hits a row storage cannot take settles that bid for
	// good (NoRecord), so this ends within len(bids)+1 rounds.
	for {
		start := time.Now()
		res, err := a.room.actor.DecideBids(ctx, items)
		if err == nil {
			a.observe(start)
			return outcomesOf(bids, res), nil
		}
		if errors.Is(err, auction.ErrVersionConflict) {
			// The lot is ahead of the actor in Postgres (LotStore.diverged
			// has asked for the room to be reloaded); the bids stay in the
			// log for the restarted room.
			return nil, fmt.Errorf("commit %d bids: %w: %w", len(bids), ErrRoomBroken, err)
		}
		if res == nil {
			return nil, fmt.Errorf("room actor: %w", err)
		}
		var dc *decisionConflict
		if !errors.As(err, &dc) {
			if len(bids) == 1 && permanent(err) && !items[0].NoRecord {
				// Postgres refuses the bid's values even alone: it is
				// decided as invalid, without its row.
				a.room.log.Error("bid cannot be stored; rejecting it", "bid_id", bids[0].BidID, "seq", bids[0].Seq,
					"err", err)
				items[0].Refuse, items[0].NoRecord = auction.ReasonInvalidBid, true
				continue
			}
			return nil, fmt.Errorf("commit %d bids: %w", len(bids), err)
		}
		b := bids[dc.decision]
		switch {
		case dc.Taken && dc.Stored.RoomID == b.RoomID && dc.Stored.IngressSeq == b.Seq:
			// The bid is stored already: a commit whose answer was lost.
			// The actor is behind Postgres, so the room is reloaded.
			a.room.broken()
			return nil, fmt.Errorf("bid %s: %w", b.BidID, ErrRoomBroken)
		case dc.Taken:
			// The bidder used this bid_id for another bid: this one is
			// refused as a duplicate and leaves no row (the key is taken).
			items[dc.decision].Refuse, items[dc.decision].NoRecord = auction.ReasonDuplicate, true
		default:
			a.room.log.Error("bid cannot be stored; rejecting it", "bid_id", b.BidID, "seq", b.Seq, "err", err)
			items[dc.decision].Refuse, items[dc.decision].NoRecord = auction.ReasonInvalidBid, true
		}
	}
}

// observe records how a batch handed to the actor at start split between
// deciding (the wait for the actor included), the commit (recorded by the
// LotStore) and the actor's work after it.
func (a *roomApplier) observe(start time.Time) {
	st := a.room.store
	if st == nil || st.stages == nil {
		return
	}
	cs, ce := time.Unix(0, st.commitStart.Load()), time.Unix(0, st.commitEnd.Load())
	if cs.Before(start) {
		return // not this batch's commit
	}
	st.stages.Observe(StageDecide, cs.Sub(start))
	st.stages.Observe(StageAfterCommit, time.Since(ce))
}

// outcomesOf pairs each bid with the actor's decision.
func outcomesOf(bids []Bid, res []auction.BidResult) []Outcome {
	now := time.Now()
	outs := make([]Outcome, len(bids))
	for i, b := range bids {
		outs[i] = outcomeOf(b)
		outs[i].Decided = now
		if res[i].Accepted {
			outs[i].Status = StatusAccepted
		} else {
			outs[i].Status, outs[i].Reason = StatusRejected, string(res[i].Reason)
		}
	}
	return outs
}
