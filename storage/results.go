package storage

import (
	"context"
	"fmt"

	"github.com/bidcast/bidcast/internal/ids"
)

// ResultView is a lot's result with the winner's display name, for the
// API to show (masked) to the public and in full to the seller.
type ResultView struct {
	LotResult
	WinnerName string
	ItemID     string
	ItemTitle  string
}

const resultViewSelect = `SELECT r.lot_id, r.room_id, r.outcome, r.winner_id, r.winning_bid_id, r.price,
	r.currency, r.closed_at, coalesce(u.display_name, ''), l.item_id, i.title
	FROM lot_results r JOIN lots l ON l.id = r.lot_id JOIN items i ON i.id = l.item_id
	LEFT JOIN users u ON u.id = r.winner_id`

func scanResultView(row interface{ Scan(...any) error }) (ResultView, error) {
	var v ResultView
	err := row.Scan(&v.LotID, &v.RoomID, &v.Outcome, &v.WinnerID, &v.WinningBidID, &v.Price,
		&v.Currency, &v.ClosedAt, &v.WinnerName, &v.ItemID, &v.ItemTitle)
	return v, mapError(err)
}

// ResultOf returns how a lot ended; ErrNotFound while it has not.
func (r *Lots) ResultOf(ctx context.Context, lotID string) (ResultView, error) {
	if !ids.Valid(lotID) {
		return ResultView{}, fmt.Errorf("get result of lot %q: %w", lotID, ErrNotFound)
	}
	v, err := scanResultView(r.db.Pool.QueryRow(ctx, resultViewSelect+` WHERE r.lot_id = $1`, lotID))
	if err != nil {
		return ResultView{}, fmt.Errorf("get result of lot %s: %w", lotID, err)
	}
	return v, nil
}

// ResultsOfRoom returns the results of a room's closed lots in queue order.
func (r *Lots) ResultsOfRoom(ctx context.Context, roomID string) ([]ResultView, error) {
	return r.listResults(ctx, resultViewSelect+` WHERE r.room_id = $1 ORDER BY l.position`, roomID)
}

// WinsAfter returns up to limit lots the user won, most recent first,
// starting after the key.
func (r *Lots) WinsAfter(ctx context.Context, userID string, after *PageKey, limit int) ([]ResultView, error) {
	if !ids.Valid(userID) {
		return nil, nil
	}
	at, id := pageArgs(after)
	return r.listResults(ctx, resultViewSelect+` WHERE r.winner_id = $1 AND r.outcome = 'sold'
		AND ($2::timestamptz IS NULL OR (r.closed_at, r.lot_id) < ($2, $3::uuid))
		ORDER BY r.closed_at DESC, r.lot_id DESC LIMIT $4`, userID, at, id, limit)
}

func (r *Lots) listResults(ctx context.Context, q string, args ...any) ([]ResultView, error) {
	rows, err := r.db.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list lot results: %w", mapError(err))
	}
	out, err := collect(rows, scanResultView)
	if err != nil {
		return nil, fmt.Errorf("list lot results: %w", err)
	}
	return out, nil
}
