package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bidcast/bidcast/internal/ids"
)

// Lot is one item put up for auction in a room, with its rules and its live
// state. IncrementTable (a list of IncrementBand), ClockPolicy (its tiers
// are PolicyTier) and ProxyState (its proxies are ProxyMax) are JSON
// documents in the shapes of lotjson.go; storage keeps them as they are.
type Lot struct {
	ID             string
	RoomID         string
	ItemID         string
	Position       int
	Currency       string
	OpeningPrice   int64
	ReservePrice   int64
	IncrementTable json.RawMessage
	ClockPolicy    json.RawMessage
	DurationMS     int64
	State          string
	Deadline       *time.Time
	RemainingMS    *int64
	HighBid        *int64
	LeaderID       *string
	HighBidID      *string
	ProxyState     json.RawMessage
	Version        int64
	CreatedAt      time.Time
}

// Lots is the repository of a room's lots.
type Lots struct {
	db *DB
	// fence, if set (Fenced), guards the commits of one claim of a room.
	fence roomFence
	// group, if set (Grouped), commits CommitBatch's batches with other
	// rooms' in one transaction.
	group *CommitGroup
}

// NewLots returns the lots repository over db.
func NewLots(db *DB) *Lots { return &Lots{db: db} }

const lotColumns = `id, room_id, item_id, position, currency, opening_price, reserve_price,
	increment_table, clock_policy, duration_ms, state, deadline, remaining_ms, high_bid,
	leader_id, high_bid_id, proxy_state, version, created_at`

func scanLot(row interface{ Scan(...any) error }) (Lot, error) {
	var l Lot
	err := row.Scan(&l.ID, &l.RoomID, &l.ItemID, &l.Position, &l.Currency, &l.OpeningPrice,
		&l.ReservePrice, &l.IncrementTable, &l.ClockPolicy, &l.DurationMS, &l.State, &l.Deadline,
		&l.RemainingMS, &l.HighBid, &l.LeaderID, &l.HighBidID, &l.ProxyState, &l.Version, &l.CreatedAt)
	return l, mapError(err)
}

// Add appends a pending lot at the end of its room's queue.
func (r *Lots) Add(ctx context.Context, l Lot) (Lot, error) {
	out, err := scanLot(r.db.Pool.QueryRow(ctx, `
		INSERT INTO lots (room_id, item_id, position, currency, opening_price, reserve_price,
			increment_table, clock_policy, duration_ms)
		SELECT $1, $2, coalesce(max(position) + 1, 0), $3, $4, $5, $6, $7, $8
		FROM lots WHERE room_id = $1
		RETURNING `+lotColumns,
		l.RoomID, l.ItemID, l.Currency, l.OpeningPrice, l.ReservePrice,
		l.IncrementTable, l.ClockPolicy, l.DurationMS))
	if err != nil {
		return Lot{}, fmt.Errorf("add lot for item %s to room %s: %w", l.ItemID, l.RoomID, err)
	}
	return out, nil
}

// Get returns the lot with the given ID.
func (r *Lots) Get(ctx context.Context, id string) (Lot, error) {
	if !ids.Valid(id) {
		return Lot{}, fmt.Errorf("get lot %q: %w", id, ErrNotFound)
	}
	l, err := scanLot(r.db.Pool.QueryRow(ctx, `SELECT `+lotColumns+` FROM lots WHERE id = $1`, id))
	if err != nil {
		return Lot{}, fmt.Errorf("get lot %s: %w", id, err)
	}
	return l, nil
}

// ListByRoom returns a room's lots in queue order.
func (r *Lots) ListByRoom(ctx context.Context, roomID string) ([]Lot, error) {
	if !ids.Valid(roomID) {
		return nil, fmt.Errorf("list lots of room %q: %w", roomID, ErrNotFound)
	}
	rows, err := r.db.Pool.Query(ctx, `SELECT `+lotColumns+` FROM lots WHERE room_id = $1
		ORDER BY position`, roomID)
	if err != nil {
		return nil, fmt.Errorf("list lots of room %s: %w", roomID, mapError(err))
	}
	out, err := collect(rows, scanLot)
	if err != nil {
		return nil, fmt.Errorf("list lots of room %s: %w", roomID, err)
	}
	return out, nil
}

// Active returns the room's lot that is live, paused or closing, if any:
// what a node restores when it takes over the room.
func (r *Lots) Active(ctx context.Context, roomID string) (Lot, bool, error) {
	l, err := scanLot(r.db.Pool.QueryRow(ctx, `SELECT `+lotColumns+` FROM lots
		WHERE room_id = $1 AND state IN ('live', 'paused', 'closing')`, roomID))
	if errors.Is(err, ErrNotFound) {
		return Lot{}, false, nil
	}
	if err != nil {
		return Lot{}, false, fmt.Errorf("get active lot of room %s: %w", roomID, err)
	}
	return l, true, nil
}

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
	if !ids.Valid(roomID) {
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
	if !ids.Valid(lotID) {
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
