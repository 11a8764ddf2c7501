package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bidcast/bidcast/internal/ids"
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

// bidColumns reads a row back; a rejected bid that names no lot of its room
// shows the lot ID as the client sent it (lot_ref).
const bidColumns = `id, bid_id, room_id, coalesce(lot_id::text, lot_ref, '') AS lot_id, bidder_id, amount,
	currency, kind, ingress_seq, received_at, outcome, reason, created_at`

func scanBid(row interface{ Scan(...any) error }) (BidRecord, error) {
	b, err := scanBidRaw(row)
	return b, mapError(err)
}

// scanBidRaw is scanBid with pgx's own errors, for callers that must tell
// "no row" from a foreign key failure (mapError calls both not found).
func scanBidRaw(row interface{ Scan(...any) error }) (BidRecord, error) {
	var b BidRecord
	err := row.Scan(&b.ID, &b.BidID, &b.RoomID, &b.LotID, &b.BidderID, &b.Amount, &b.Currency, &b.Kind,
		&b.IngressSeq, &b.ReceivedAt, &b.Outcome, &b.Reason, &b.CreatedAt)
	return b, err
}

// insertBidSQL inserts a decided bid unless its (bidder_id, bid_id) is
// already recorded; it then returns nothing, and the caller reads the
// original. The lot is referenced only if it is a lot of the bid's room
// ($12 is NULL when the client's lot ID is not even a UUID); otherwise the
// client's lot ID is kept as text, so that the rejection of a bid naming an
// unknown or foreign lot is recorded like any other (the schema refuses an
// accepted bid without a lot).
const insertBidSQL = `
	WITH lot AS (SELECT (SELECT id FROM lots WHERE id = $12::uuid AND room_id = $2) AS id)
	INSERT INTO bids (bid_id, room_id, lot_id, lot_ref, bidder_id, amount, currency, kind, ingress_seq,
		received_at, outcome, reason)
	SELECT $1, $2, lot.id, CASE WHEN lot.id IS NULL THEN $3::text END, $4, $5, $6, $7, $8, $9, $10, $11
	FROM lot
	ON CONFLICT (bidder_id, bid_id) DO NOTHING
	RETURNING ` + bidColumns

// insertBid records b in tx (or the pool). It reports whether the row is
// new; false means the bidder's bid_id was decided before and the stored row
// is returned instead. A value the schema refuses is ErrInvalid, a bidder
// or room that does not exist ErrNotFound: retrying cannot cure either.
func insertBid(ctx context.Context, q pgxQuerier, b BidRecord) (BidRecord, bool, error) {
	var lotUUID *string
	if ids.Valid(b.LotID) {
		lotUUID = &b.LotID
	}
	row, err := scanBidRaw(q.QueryRow(ctx, insertBidSQL, b.BidID, b.RoomID, b.LotID, b.BidderID, b.Amount,
		b.Currency, b.Kind, b.IngressSeq, b.ReceivedAt, b.Outcome, b.Reason, lotUUID))
	if err == nil {
		return row, true, nil
	}
	// Only "no row returned" means the key was taken: a foreign key failure
	// also maps to ErrNotFound and must not be read as a duplicate.
	if !errors.Is(err, pgx.ErrNoRows) {
		return BidRecord{}, false, fmt.Errorf("record bid %s: %w", b.BidID, mapError(err))
	}
	orig, err := scanBidRaw(q.QueryRow(ctx, `SELECT `+bidColumns+` FROM bids WHERE bidder_id = $1 AND bid_id = $2`,
		b.BidderID, b.BidID))
	if err != nil {
		return BidRecord{}, false, fmt.Errorf("read original of bid %s: %w", b.BidID, mapError(err))
	}
	return orig, false, nil
}

// pgxQuerier is what insertBid needs of a pool or a transaction.
type pgxQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// RecordRejected keeps a rejected bid in the audit table, whatever lot it
// names. A bid whose bidder already used its bid_id is left as it was, and
// the original row is returned with fresh = false.
func (r *Bids) RecordRejected(ctx context.Context, b BidRecord) (rec BidRecord, fresh bool, err error) {
	b.Outcome = OutcomeRejected
	return insertBid(ctx, r.db.Pool, b)
}

// FindByBidID returns the decided bid that bidderID sent with bidID, the
// client's idempotency key.
func (r *Bids) FindByBidID(ctx context.Context, bidderID, bidID string) (BidRecord, bool, error) {
	if !ids.Valid(bidderID) {
		return BidRecord{}, false, nil
	}
	b, err := scanBidRaw(r.db.Pool.QueryRow(ctx, `SELECT `+bidColumns+` FROM bids WHERE bidder_id = $1 AND bid_id = $2`,
		bidderID, bidID))
	if errors.Is(err, pgx.ErrNoRows) {
		return BidRecord{}, false, nil
	}
	if err != nil {
		return BidRecord{}, false, fmt.Errorf("find bid %s of %s: %w", bidID, bidderID, mapError(err))
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
	out, err := collect(rows, scanBid)
	if err != nil {
		return nil, fmt.Errorf("list bids of lot %s: %w", lotID, err)
	}
	return out, nil
}

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
	if !ids.Valid(lotID) {
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
	if !ids.Valid(bidderID) {
		return nil, nil
	}
	at, id := pageArgs(after)
	rows, err := r.db.Pool.Query(ctx, `SELECT `+bidColumns+` FROM bids
		WHERE bidder_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
		ORDER BY created_at DESC, id DESC LIMIT $4`, bidderID, at, id, limit)
	if err != nil {
		return nil, fmt.Errorf("list bids of %s: %w", bidderID, mapError(err))
	}
	out, err := collect(rows, scanBid)
	if err != nil {
		return nil, fmt.Errorf("list bids of %s: %w", bidderID, err)
	}
	return out, nil
}
