package storage

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// LotStatePending is the state of a lot that has not started yet: the only
// state in which a seller may move or remove it.
const LotStatePending = "pending"

// Reorder puts the room's pending lots in the order of lotIDs, which must
// name every pending lot of the room exactly once. The pending lots take the
// queue positions they already hold between them, so lots that have run
// (or are running) keep their places. A list that does not match the
// room's pending lots, for example because one started meanwhile, is
// ErrConflict.
func (r *Lots) Reorder(ctx context.Context, roomID string, lotIDs []string) error {
	if !validID(roomID) {
		return fmt.Errorf("reorder lots of room %q: %w", roomID, ErrNotFound)
	}
	err := r.db.InTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, position FROM lots WHERE room_id = $1 AND state = 'pending'
			ORDER BY position FOR UPDATE`, roomID)
		if err != nil {
			return mapError(err)
		}
		positions := map[string]bool{}
		var slots []int
		for rows.Next() {
			var id string
			var pos int
			if err := rows.Scan(&id, &pos); err != nil {
				rows.Close()
				return mapError(err)
			}
			positions[id] = true
			slots = append(slots, pos)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return mapError(err)
		}
		if len(lotIDs) != len(slots) {
			return fmt.Errorf("%w: %d lots given, room has %d pending", ErrConflict, len(lotIDs), len(slots))
		}
		for _, id := range lotIDs {
			if !positions[id] {
				return fmt.Errorf("%w: lot %s is not pending in this room or is listed twice", ErrConflict, id)
			}
			delete(positions, id)
		}
		// Swapping positions passes through duplicates; checking the
		// uniqueness rule at commit lets each row move in one statement.
		if _, err := tx.Exec(ctx, `SET CONSTRAINTS lots_room_id_position_key DEFERRED`); err != nil {
			return mapError(err)
		}
		for i, id := range lotIDs {
			if _, err := tx.Exec(ctx, `UPDATE lots SET position = $2, version = version + 1, updated_at = now()
				WHERE id = $1 AND position <> $2`, id, slots[i]); err != nil {
				return mapError(err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reorder lots of room %s: %w", roomID, err)
	}
	return nil
}

// RemovePending deletes a lot that has not started. A lot in any other
// state is part of the show's record and answers ErrConflict.
func (r *Lots) RemovePending(ctx context.Context, lotID string) error {
	if !validID(lotID) {
		return fmt.Errorf("remove lot %q: %w", lotID, ErrNotFound)
	}
	tag, err := r.db.Pool.Exec(ctx, `DELETE FROM lots WHERE id = $1 AND state = 'pending'`, lotID)
	if err != nil {
		return fmt.Errorf("remove lot %s: %w", lotID, mapError(err))
	}
	if tag.RowsAffected() == 0 {
		if _, gerr := r.Get(ctx, lotID); gerr == nil {
			return fmt.Errorf("remove lot %s: %w: it is no longer pending", lotID, ErrConflict)
		}
		return fmt.Errorf("remove lot %s: %w", lotID, ErrNotFound)
	}
	return nil
}

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
	if !validID(lotID) {
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
	if !validID(userID) {
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
	defer rows.Close()
	var out []ResultView
	for rows.Next() {
		v, err := scanResultView(rows)
		if err != nil {
			return nil, fmt.Errorf("list lot results: %w", err)
		}
		out = append(out, v)
	}
	return out, mapError(rows.Err())
}
