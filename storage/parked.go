package storage

import (
	"context"
	"fmt"
	"time"
)

// Parking a live room: its actor and queue server stop while nobody uses
// it, and it is found again by the one who wakes it (migration 010). These
// methods are what package bidding's Node asks of Postgres; every one is a
// single statement, so many nodes may call them at once.

// Park marks a live room parked as of at, if the caller's claim is still
// the room's current one (token is its fencing token, as in CheckFence; 0
// checks nothing). It reports whether the room is parked by this call: a
// room that ended, is parked already or was claimed by a newer owner is
// left alone.
func (r *Rooms) Park(ctx context.Context, roomID string, token int64, at time.Time) (bool, error) {
	tag, err := r.db.Pool.Exec(ctx, `
		UPDATE rooms SET parked_at = $3
		WHERE id = $1 AND status = 'live' AND parked_at IS NULL
		AND ($2 = 0 OR EXISTS (SELECT 1 FROM room_fences f WHERE f.room_id = $1 AND f.token = $2))`,
		roomID, token, at)
	if err != nil {
		return false, fmt.Errorf("park room %s: %w", roomID, mapError(err))
	}
	return tag.RowsAffected() == 1, nil
}

// Unpark wakes a parked room. live reports whether the room is live (parked
// or not), woke whether this call unparked it; of several callers at once
// exactly one wakes it.
func (r *Rooms) Unpark(ctx context.Context, roomID string) (live, woke bool, err error) {
	err = r.db.Pool.QueryRow(ctx, `
		WITH u AS (
			UPDATE rooms SET parked_at = NULL
			WHERE id = $1 AND status = 'live' AND parked_at IS NOT NULL RETURNING id)
		SELECT r.status = 'live', EXISTS (SELECT 1 FROM u) FROM rooms r WHERE r.id = $1`, roomID).Scan(&live, &woke)
	if err != nil {
		return false, false, fmt.Errorf("unpark room %s: %w", roomID, mapError(err))
	}
	return live, woke, nil
}

// Parked reports whether the room is parked now.
func (r *Rooms) Parked(ctx context.Context, roomID string) (bool, error) {
	var parked bool
	err := r.db.Pool.QueryRow(ctx, `SELECT parked_at IS NOT NULL FROM rooms WHERE id = $1`, roomID).Scan(&parked)
	if err != nil {
		return false, fmt.Errorf("read parking of room %s: %w", roomID, mapError(err))
	}
	return parked, nil
}

// PickAbandoned takes up to limit live rooms parked since before `before`,
// for the caller to end. Picking restamps them parked at now, so of many
// nodes sweeping at once each room goes to one, and a node that dies while
// it ends a room leaves it parked, to be picked again later.
func (r *Rooms) PickAbandoned(ctx context.Context, before, now time.Time, limit int) ([]string, error) {
	return r.pickParked(ctx, `status = 'live' AND parked_at < $1`, before, now, limit)
}

// PickEndedParked takes up to limit ended rooms whose Redis keys may still
// be there (SetStatus marks each room that ends; migration 010 marked those
// that ended before), ended before `before`, for the caller to remove
// their keys and then ForgetParked them. Like PickAbandoned it restamps
// them, so each goes to one node.
func (r *Rooms) PickEndedParked(ctx context.Context, before, now time.Time, limit int) ([]string, error) {
	return r.pickParked(ctx, `status = 'ended' AND parked_at < $1`, before, now, limit)
}

func (r *Rooms) pickParked(ctx context.Context, where string, before, now time.Time, limit int) ([]string, error) {
	rows, err := r.db.Pool.Query(ctx, `
		UPDATE rooms SET parked_at = $2
		WHERE id IN (SELECT id FROM rooms WHERE `+where+`
			ORDER BY parked_at LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING id`, before, now, limit)
	if err != nil {
		return nil, fmt.Errorf("pick parked rooms: %w", mapError(err))
	}
	ids, err := collect(rows, func(row interface{ Scan(...any) error }) (id string, err error) {
		err = row.Scan(&id)
		return id, err
	})
	if err != nil {
		return nil, fmt.Errorf("pick parked rooms: %w", err)
	}
	return ids, nil
}

// ForgetParked clears the parking mark of an ended room whose Redis keys
// are gone, so no sweep picks it again.
func (r *Rooms) ForgetParked(ctx context.Context, roomID string) error {
	_, err := r.db.Pool.Exec(ctx, `UPDATE rooms SET parked_at = NULL WHERE id = $1 AND status = 'ended'`, roomID)
	if err != nil {
		return fmt.Errorf("forget parking of room %s: %w", roomID, mapError(err))
	}
	return nil
}
