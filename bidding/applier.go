package bidding

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/storage"
)

// ErrRoomBroken is returned while a room's actor disagrees with Postgres
// (a commit whose result was lost); the room is being restarted from the
// stored state and the bid is retried after.
var ErrRoomBroken = errors.New("room state diverged from storage; restarting the room")

// roomApplier is a live room's Applier: it hands each sequenced bid to the
// room actor, which commits accepted bids with the lot state, and records
// every rejection in the audit table before anyone is told.
type roomApplier struct {
	room *LiveRoom
	bids *storage.Bids
	// undecided is a rejection the actor made whose audit row could not be
	// written yet: the actor now calls the bid a duplicate, so its original
	// reason is kept here for the retry. Owned by the sequencer goroutine.
	undecided struct {
		seq int64
		res auction.BidResult
	}
}

// Apply implements Applier.
func (a *roomApplier) Apply(ctx context.Context, b Bid) (Outcome, error) {
	out := Outcome{BidID: b.BidID, RoomID: b.RoomID, LotID: b.LotID, BidderID: b.BidderID, Seq: b.Seq,
		Amount: b.Amount, Currency: b.Currency, Decided: time.Now()}
	if err := b.Validate(); err != nil {
		// Submit refuses these, so only a damaged log entry or task (or an
		// older node's) gets here; the actor never sees it.
		return a.refuse(ctx, b, out, auction.BidResult{}, auction.ReasonInvalidBid, err)
	}
	ab := auction.Bid{ID: b.BidID, LotID: b.LotID, BidderID: b.BidderID,
		Amount: auction.Money{Amount: b.Amount, Currency: b.Currency}, ReceivedAt: b.ReceivedAt, Seq: b.Seq}
	actor := a.room.actor
	var res auction.BidResult
	var err error
	if b.Kind == KindMax {
		res, err = actor.SetMaxBid(ctx, ab)
	} else {
		res, err = actor.PlaceBid(ctx, ab)
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("room actor: %w", err)
	}
	if res.Reason == auction.ReasonDuplicate && a.undecided.seq == b.Seq {
		res = a.undecided.res
	}
	switch {
	case res.Accepted:
		out.Status = StatusAccepted
		return out, nil
	case res.Reason == auction.ReasonUnavailable && permanent(res.Err):
		// Postgres refused the bid itself (a bidder that does not exist,
		// say): committing it again would fail the same way.
		return a.refuse(ctx, b, out, res, auction.ReasonInvalidBid, res.Err)
	case res.Reason == auction.ReasonUnavailable:
		return a.unavailable(ctx, b, out)
	}
	return a.refuse(ctx, b, out, res, res.Reason, nil)
}

// refuse decides b as rejected for reason: it records the rejection in the
// audit table, then tells the bidder. cause, when set, is the error that
// makes the bid impossible to apply. Only a transient failure to record
// returns an error (the sequencer retries it); a rejection the schema
// refuses even to record is still decided, without its row, so that it
// never holds up the bids behind it.
func (a *roomApplier) refuse(ctx context.Context, b Bid, out Outcome, res auction.BidResult, reason auction.Reason,
	cause error) (Outcome, error) {
	if cause != nil {
		a.room.log.Error("bid cannot be applied; rejecting it", "bid_id", b.BidID, "seq", b.Seq,
			"reason", reason, "err", cause)
	}
	out.Status, out.Reason = StatusRejected, string(reason)
	rec := storage.BidRecord{BidID: b.BidID, RoomID: b.RoomID, LotID: b.LotID, BidderID: b.BidderID,
		Amount: b.Amount, Currency: b.Currency, Kind: b.Kind, IngressSeq: b.Seq, ReceivedAt: b.ReceivedAt,
		Reason: string(reason)}
	stored, fresh, err := a.bids.RecordRejected(ctx, rec)
	switch {
	case err != nil && permanent(err):
		a.room.log.Error("rejected bid cannot be recorded; deciding it without its audit row",
			"bid_id", b.BidID, "seq", b.Seq, "reason", reason, "err", err)
	case err != nil:
		res.Reason = reason
		a.undecided.seq, a.undecided.res = b.Seq, res
		return Outcome{}, fmt.Errorf("record rejected bid: %w", err)
	case !fresh && stored.RoomID == b.RoomID && stored.IngressSeq == b.Seq:
		// Decided before (a redelivery after a restart): the original
		// outcome stands and was published then.
		return outcomeOfRecord(stored), nil
	case !fresh:
		// The bidder used this bid_id for another bid: this one is refused
		// as a duplicate and leaves no row (the key is taken).
		out.Reason = string(auction.ReasonDuplicate)
	}
	a.publishRejection(ctx, b, res, auction.Reason(out.Reason))
	return out, nil
}

// unavailable handles a bid the actor could not commit. Usually Postgres
// is down and the pipeline retries. Two cases are permanent and are
// settled here: the bidder already used the bid_id for another bid
// (refused as a duplicate), or the bid is in fact committed (the commit's
// answer was lost), so the actor is behind Postgres and the room must be
// reloaded.
func (a *roomApplier) unavailable(ctx context.Context, b Bid, out Outcome) (Outcome, error) {
	rec, found, err := a.bids.FindByBidID(ctx, b.BidderID, b.BidID)
	if err != nil || !found {
		return Outcome{}, fmt.Errorf("bid %s could not be committed; will retry", b.BidID)
	}
	if rec.RoomID == b.RoomID && rec.IngressSeq == b.Seq {
		a.room.broken()
		return Outcome{}, fmt.Errorf("bid %s: %w", b.BidID, ErrRoomBroken)
	}
	out.Status, out.Reason = StatusRejected, string(auction.ReasonDuplicate)
	a.publishRejection(ctx, b, auction.BidResult{}, auction.ReasonDuplicate)
	return out, nil
}

// publishRejection tells the bidder, privately, why the bid was refused.
func (a *roomApplier) publishRejection(ctx context.Context, b Bid, res auction.BidResult, reason auction.Reason) {
	kind := auction.KindBid
	amount := b.Amount
	if b.Kind == KindMax {
		kind, amount = auction.KindMax, 0 // a maximum's ceiling stays private
	}
	rec := auction.BidRecord{ID: b.BidID, LotID: b.LotID, BidderID: b.BidderID, Kind: kind,
		Amount: auction.Money{Amount: amount, Currency: b.Currency}, ReceivedAt: b.ReceivedAt, Seq: b.Seq}
	e := auction.Event{Type: auction.EventBidRejected, RoomID: b.RoomID, LotID: b.LotID, At: time.Now(),
		Status: res.Status, Bid: &rec, Reason: reason, HighBid: res.HighBid, LeaderID: res.LeaderID,
		NextMin: res.NextMin, Deadline: res.Deadline}
	a.room.pub.private(ctx, e, b.BidderID)
}
