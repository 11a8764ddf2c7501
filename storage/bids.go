package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Bid outcomes as stored.
const (
	OutcomeAccepted = "accepted"
	OutcomeRejected = "rejected"
)

// BidRecord is one row of the bids audit table: every bid the pipeline
// decided, with its outcome.
type BidRecord struct {
	ID         string
	BidID      string
	RoomID     string
	LotID      string
	BidderID   string
	Amount     int64
	Currency   string
	Kind       string
	IngressSeq int64
	ReceivedAt time.Time
	Outcome    string
	Reason     string
	CreatedAt  time.Time
}

// Bids is the repository of the bids audit table.
type Bids struct{ db *DB }

// NewBids returns the bids repository over db.
func NewBids(db *DB) *Bids { return &Bids{db: db} }

const bidColumns = `id, bid_id, room_id, lot_id, bidder_id, amount, currency, kind, ingress_seq,
	received_at, outcome, reason, created_at`

func scanBid(row interface{ Scan(...any) error }) (BidRecord, error) {
	var b BidRecord
	err := row.Scan(&b.ID, &b.BidID, &b.RoomID, &b.LotID, &b.BidderID, &b.Amount, &b.Currency, &b.Kind,
		&b.IngressSeq, &b.ReceivedAt, &b.Outcome, &b.Reason, &b.CreatedAt)
	return b, mapError(err)
}

// insertBidSQL inserts a decided bid unless its bid_id is already recorded;
// it then returns nothing, and the caller reads the original.
const insertBidSQL = `
	INSERT INTO bids (bid_id, room_id, lot_id, bidder_id, amount, currency, kind, ingress_seq,
		received_at, outcome, reason)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
	ON CONFLICT (bid_id) DO NOTHING
	RETURNING ` + bidColumns

// insertBid records b in tx (or the pool). It reports whether the row is
// new; false means the bid_id was decided before and the stored row is
// returned instead.
func insertBid(ctx context.Context, q pgxQuerier, b BidRecord) (BidRecord, bool, error) {
	row, err := scanBid(q.QueryRow(ctx, insertBidSQL, b.BidID, b.RoomID, b.LotID, b.BidderID, b.Amount,
		b.Currency, b.Kind, b.IngressSeq, b.ReceivedAt, b.Outcome, b.Reason))
	if err == nil {
		return row, true, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return BidRecord{}, false, fmt.Errorf("record bid %s: %w", b.BidID, err)
	}
	orig, err := scanBid(q.QueryRow(ctx, `SELECT `+bidColumns+` FROM bids WHERE bid_id = $1`, b.BidID))
	if err != nil {
		return BidRecord{}, false, fmt.Errorf("read original of bid %s: %w", b.BidID, err)
	}
	return orig, false, nil
}

// pgxQuerier is what insertBid needs of a pool or a transaction.
type pgxQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// RecordRejected keeps a rejected bid in the audit table. A bid_id that is
// already recorded is left as it was, and the original row is returned with
// fresh = false.
func (r *Bids) RecordRejected(ctx context.Context, b BidRecord) (rec BidRecord, fresh bool, err error) {
	b.Outcome = OutcomeRejected
	return insertBid(ctx, r.db.Pool, b)
}

// FindByBidID returns the decided bid with the client's bid_id.
func (r *Bids) FindByBidID(ctx context.Context, bidID string) (BidRecord, bool, error) {
	b, err := scanBid(r.db.Pool.QueryRow(ctx, `SELECT `+bidColumns+` FROM bids WHERE bid_id = $1`, bidID))
	if errors.Is(err, ErrNotFound) {
		return BidRecord{}, false, nil
	}
	if err != nil {
		return BidRecord{}, false, fmt.Errorf("find bid %s: %w", bidID, err)
	}
	return b, true, nil
}

// AppliedSeq returns the highest ingress sequence number decided in the
// room, or 0: the pipeline resumes after it.
func (r *Bids) AppliedSeq(ctx context.Context, roomID string) (int64, error) {
	var seq int64
	err := r.db.Pool.QueryRow(ctx, `SELECT coalesce(max(ingress_seq), 0) FROM bids WHERE room_id = $1`, roomID).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("read applied sequence of room %s: %w", roomID, mapError(err))
	}
	return seq, nil
}

// ListByLot returns a lot's bids in ingress order, up to limit.
func (r *Bids) ListByLot(ctx context.Context, lotID string, limit int) ([]BidRecord, error) {
	rows, err := r.db.Pool.Query(ctx, `SELECT `+bidColumns+` FROM bids WHERE lot_id = $1
		ORDER BY ingress_seq, created_at LIMIT $2`, lotID, limit)
	if err != nil {
		return nil, fmt.Errorf("list bids of lot %s: %w", lotID, mapError(err))
	}
	defer rows.Close()
	var out []BidRecord
	for rows.Next() {
		b, err := scanBid(rows)
		if err != nil {
			return nil, fmt.Errorf("list bids of lot %s: %w", lotID, err)
		}
		out = append(out, b)
	}
	return out, mapError(rows.Err())
}
