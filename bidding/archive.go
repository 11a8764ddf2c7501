package bidding

import (
	"context"

	"github.com/bidcast/bidcast/storage"
)

// BidArchive is the pipeline's view of the bids audit table in Postgres:
// the durable record of every decided bid. It implements OutcomeArchive
// (outcomes older than Redis keeps) and Watermark (where a room's pipeline
// resumes).
type BidArchive struct{ bids *storage.Bids }

// NewBidArchive returns the archive over the bids repository.
func NewBidArchive(bids *storage.Bids) *BidArchive { return &BidArchive{bids: bids} }

// FindOutcome implements OutcomeArchive.
func (a *BidArchive) FindOutcome(ctx context.Context, bidderID, bidID string) (Outcome, bool, error) {
	rec, ok, err := a.bids.FindByBidID(ctx, bidderID, bidID)
	if err != nil || !ok {
		return Outcome{}, ok, err
	}
	return outcomeOfRecord(rec), true, nil
}

// AppliedSeq implements Watermark.
func (a *BidArchive) AppliedSeq(ctx context.Context, roomID string) (int64, error) {
	return a.bids.AppliedSeq(ctx, roomID)
}

// outcomeOfRecord converts an audit row into the outcome clients see.
func outcomeOfRecord(rec storage.BidRecord) Outcome {
	return Outcome{
		BidID: rec.BidID, RoomID: rec.RoomID, LotID: rec.LotID, BidderID: rec.BidderID, Seq: rec.IngressSeq,
		Status: rec.Outcome, Reason: rec.Reason, Amount: rec.Amount, Currency: rec.Currency,
		Decided: rec.CreatedAt,
	}
}
