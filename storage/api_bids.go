package storage

import (
	"context"
	"fmt"
	"time"
)

// PublicBid is an accepted price bid as a lot's history shows it: the
// amount, when it was received, and the bidder, whom the API names by their
// room alias (never by ID or name).
type PublicBid struct {
	Seq        int64
	Amount     int64
	Currency   string
	Kind       string
	ReceivedAt time.Time
	BidderID   string
}

// HistoryBefore returns up to limit accepted price bids on a lot (plain and
// proxy bids; never a proxy maximum, whose amount is its owner's secret
// ceiling), newest first, with ingress sequence numbers below beforeSeq
// (zero means from the newest).
func (r *Bids) HistoryBefore(ctx context.Context, lotID string, beforeSeq int64, limit int) ([]PublicBid, error) {
	if !validID(lotID) {
		return nil, fmt.Errorf("list bid history of lot %q: %w", lotID, ErrNotFound)
	}
	rows, err := r.db.Pool.Query(ctx, `SELECT b.ingress_seq, b.amount, b.currency, b.kind, b.received_at,
		b.bidder_id::text FROM bids b
		WHERE b.lot_id = $1 AND b.outcome = 'accepted' AND b.kind <> 'max' AND ($2 = 0 OR b.ingress_seq < $2)
		ORDER BY b.ingress_seq DESC, b.created_at DESC LIMIT $3`, lotID, beforeSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("list bid history of lot %s: %w", lotID, mapError(err))
	}
	defer rows.Close()
	var out []PublicBid
	for rows.Next() {
		var b PublicBid
		if err := rows.Scan(&b.Seq, &b.Amount, &b.Currency, &b.Kind, &b.ReceivedAt, &b.BidderID); err != nil {
			return nil, fmt.Errorf("list bid history of lot %s: %w", lotID, mapError(err))
		}
		out = append(out, b)
	}
	return out, mapError(rows.Err())
}

// ByBidderAfter returns up to limit of a user's bids, accepted or not,
// newest first, starting after the key.
func (r *Bids) ByBidderAfter(ctx context.Context, bidderID string, after *PageKey, limit int) ([]BidRecord, error) {
	if !validID(bidderID) {
		return nil, nil
	}
	at, id := pageArgs(after)
	rows, err := r.db.Pool.Query(ctx, `SELECT `+bidColumns+` FROM bids
		WHERE bidder_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
		ORDER BY created_at DESC, id DESC LIMIT $4`, bidderID, at, id, limit)
	if err != nil {
		return nil, fmt.Errorf("list bids of %s: %w", bidderID, mapError(err))
	}
	defer rows.Close()
	var out []BidRecord
	for rows.Next() {
		b, err := scanBid(rows)
		if err != nil {
			return nil, fmt.Errorf("list bids of %s: %w", bidderID, err)
		}
		out = append(out, b)
	}
	return out, mapError(rows.Err())
}
