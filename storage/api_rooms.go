package storage

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// RoomFilter selects one page of a room listing.
type RoomFilter struct {
	// Status is RoomScheduled (upcoming), RoomLive or RoomEnded.
	Status string
	// SellerID, when set, keeps only that seller's rooms.
	SellerID string
	// PublicOnly hides unlisted rooms, for everyone but their seller.
	PublicOnly bool
	// After is the key of the last room already seen; nil starts at the top.
	After *PageKey
	// Limit caps the page.
	Limit int
}

// roomOrder says how each listing sorts: upcoming shows soonest first, live
// and ended show the most recent first. The expressions match the partial
// indexes of migration 004.
var roomOrder = map[string]struct{ expr, dir, cmp string }{
	RoomScheduled: {"coalesce(scheduled_at, created_at)", "ASC", ">"},
	RoomLive:      {"coalesce(started_at, created_at)", "DESC", "<"},
	RoomEnded:     {"coalesce(ended_at, created_at)", "DESC", "<"},
}

// RoomSortKey is the key of room in the listing for its status, which the
// caller hands back as RoomFilter.After for the next page.
func RoomSortKey(room Room) PageKey {
	at := room.CreatedAt
	switch {
	case room.Status == RoomScheduled && room.ScheduledAt != nil:
		at = *room.ScheduledAt
	case room.Status == RoomLive && room.StartedAt != nil:
		at = *room.StartedAt
	case room.Status == RoomEnded && room.EndedAt != nil:
		at = *room.EndedAt
	}
	return PageKey{At: at, ID: room.ID}
}

// ListPage returns one page of rooms in the given status.
func (r *Rooms) ListPage(ctx context.Context, f RoomFilter) ([]Room, error) {
	ord, ok := roomOrder[f.Status]
	if !ok {
		return nil, fmt.Errorf("list rooms: %w: status %q", ErrInvalid, f.Status)
	}
	var seller *string
	if f.SellerID != "" {
		if !validID(f.SellerID) {
			return nil, nil
		}
		seller = &f.SellerID
	}
	at, id := pageArgs(f.After)
	q := `SELECT ` + roomColumns + ` FROM rooms
		WHERE status = $1 AND ($2::uuid IS NULL OR seller_id = $2) AND (NOT $3 OR is_public)
		AND ($4::timestamptz IS NULL OR (` + ord.expr + `, id) ` + ord.cmp + ` ($4, $5::uuid))
		ORDER BY ` + ord.expr + ` ` + ord.dir + `, id ` + ord.dir + ` LIMIT $6`
	rows, err := r.db.Pool.Query(ctx, q, f.Status, seller, f.PublicOnly, at, id, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list %s rooms: %w", f.Status, mapError(err))
	}
	defer rows.Close()
	var out []Room
	for rows.Next() {
		room, err := scanRoom(rows)
		if err != nil {
			return nil, fmt.Errorf("list %s rooms: %w", f.Status, err)
		}
		out = append(out, room)
	}
	return out, mapError(rows.Err())
}

// RoomChange is a seller's edit of a room's details. Version is the version
// the seller read; a room changed since then is not overwritten.
type RoomChange struct {
	ID          string
	Version     int64
	Title       string
	Description string
	Public      bool
	ScheduledAt *time.Time

	// GuestsMayBid lets guest accounts bid in the room.
	GuestsMayBid bool
}

// UpdateDetails changes a room's title, description, visibility, guest
// bidding and start time if its version is still c.Version and it has not ended. A stale
// version or an ended room is ErrConflict; the caller re-reads to tell them
// apart.
func (r *Rooms) UpdateDetails(ctx context.Context, c RoomChange) (Room, error) {
	room, err := scanRoom(r.db.Pool.QueryRow(ctx, `
		UPDATE rooms SET title = $3, description = $4, is_public = $5, scheduled_at = $6,
			guests_may_bid = $7, version = version + 1, updated_at = now()
		WHERE id = $1 AND version = $2 AND status <> 'ended' RETURNING `+roomColumns,
		c.ID, c.Version, c.Title, c.Description, c.Public, c.ScheduledAt, c.GuestsMayBid))
	if errors.Is(err, ErrNotFound) {
		if _, gerr := r.Get(ctx, c.ID); gerr == nil {
			err = fmt.Errorf("%w: room changed since version %d or has ended", ErrConflict, c.Version)
		}
	}
	if err != nil {
		return Room{}, fmt.Errorf("update room %s: %w", c.ID, err)
	}
	return room, nil
}

// Schedule sets when a draft or scheduled room will go live and makes it
// scheduled. A live or ended room cannot be rescheduled: ErrConflict.
func (r *Rooms) Schedule(ctx context.Context, id string, at time.Time) (Room, error) {
	room, err := scanRoom(r.db.Pool.QueryRow(ctx, `
		UPDATE rooms SET scheduled_at = $2, status = 'scheduled', version = version + 1, updated_at = now()
		WHERE id = $1 AND status IN ('draft', 'scheduled') RETURNING `+roomColumns, id, at))
	if errors.Is(err, ErrNotFound) {
		if _, gerr := r.Get(ctx, id); gerr == nil {
			err = fmt.Errorf("%w: room is live or ended", ErrConflict)
		}
	}
	if err != nil {
		return Room{}, fmt.Errorf("schedule room %s: %w", id, err)
	}
	return room, nil
}
