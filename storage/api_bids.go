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
// ceiling), newest first, starting below the key (beforeSeq, beforeAmount);
// beforeSeq zero means from the newest.
//
// A proxy bid is listed with the sequence number and receive time of the
// bid that made it (committed in the same transaction, so with the same
// created_at), not with those of the maximum behind it: to everyone else
// it is a plain bid placed at that moment. Bids sharing a sequence number
// (a bid and the proxy bids answering it) are ordered by amount, which
// never falls within a lot.
func (r *Bids) HistoryBefore(ctx context.Context, lotID string, beforeSeq, beforeAmount int64, limit int) ([]PublicBid, error) {
	if !validID(lotID) {
		return nil, fmt.Errorf("list bid history of lot %q: %w", lotID, ErrNotFound)
	}
	rows, err := r.db.Pool.Query(ctx, `WITH h AS (
			SELECT COALESCE(max(b.ingress_seq) FILTER (WHERE b.kind <> 'proxy') OVER w, b.ingress_seq) AS seq,
				b.amount, b.currency, b.kind,
				COALESCE(max(b.received_at) FILTER (WHERE b.kind <> 'proxy') OVER w, b.received_at) AS received_at,
				b.bidder_id::text AS bidder, b.created_at
			FROM bids b WHERE b.lot_id = $1 AND b.outcome = 'accepted'
			WINDOW w AS (PARTITION BY b.created_at))
		SELECT seq, amount, currency, kind, received_at, bidder FROM h
		WHERE kind <> 'max' AND ($2 = 0 OR (seq, amount) < ($2, $3))
		ORDER BY seq DESC, amount DESC, created_at DESC LIMIT $4`, lotID, beforeSeq, beforeAmount, limit)
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
