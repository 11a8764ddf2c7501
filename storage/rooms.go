package storage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bidcast/bidcast/internal/ids"
)

// Room statuses. A room is created scheduled (ready to go live), becomes live
// when the seller starts the show, and ends once.
const (
	RoomDraft     = "draft"
	RoomScheduled = "scheduled"
	RoomLive      = "live"
	RoomEnded     = "ended"
)

// Room is one live show.
type Room struct {
	ID          string
	SellerID    string
	Title       string
	Description string
	Status      string
	Public      bool
	ScheduledAt *time.Time
	StartedAt   *time.Time
	EndedAt     *time.Time
	Version     int64
	CreatedAt   time.Time

	// GuestsMayBid lets guest accounts (display name only) bid in the
	// room; otherwise they may watch and chat.
	GuestsMayBid bool
}

// NewRoom holds what a seller supplies to create a room.
type NewRoom struct {
	SellerID    string
	Title       string
	Description string
	Public      bool
	ScheduledAt *time.Time

	// GuestsMayBid lets guest accounts bid in the room.
	GuestsMayBid bool
}

// Rooms is the repository of live shows.
type Rooms struct{ db *DB }

// NewRooms returns the rooms repository over db.
func NewRooms(db *DB) *Rooms { return &Rooms{db: db} }

const roomColumns = `id, seller_id, title, description, status, is_public, scheduled_at,
	started_at, ended_at, version, created_at, guests_may_bid`

func scanRoom(row interface{ Scan(...any) error }) (Room, error) {
	var r Room
	err := row.Scan(&r.ID, &r.SellerID, &r.Title, &r.Description, &r.Status, &r.Public,
		&r.ScheduledAt, &r.StartedAt, &r.EndedAt, &r.Version, &r.CreatedAt, &r.GuestsMayBid)
	return r, mapError(err)
}

// Create stores a new scheduled room and returns it with its publish token.
// Only the token's SHA-256 is kept, so this is the one time it can be shown.
func (r *Rooms) Create(ctx context.Context, nr NewRoom) (Room, string, error) {
	token, hash, err := newPublishToken()
	if err != nil {
		return Room{}, "", err
	}
	room, err := scanRoom(r.db.Pool.QueryRow(ctx, `
		INSERT INTO rooms (seller_id, title, description, is_public, scheduled_at, publish_token_hash, guests_may_bid)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+roomColumns,
		nr.SellerID, nr.Title, nr.Description, nr.Public, nr.ScheduledAt, hash[:], nr.GuestsMayBid))
	if err != nil {
		return Room{}, "", fmt.Errorf("create room %q: %w", nr.Title, err)
	}
	return room, token, nil
}

// Get returns the room with the given ID.
func (r *Rooms) Get(ctx context.Context, id string) (Room, error) {
	if !ids.Valid(id) {
		return Room{}, fmt.Errorf("get room %q: %w", id, ErrNotFound)
	}
	room, err := scanRoom(r.db.Pool.QueryRow(ctx, `SELECT `+roomColumns+` FROM rooms WHERE id = $1`, id))
	if err != nil {
		return Room{}, fmt.Errorf("get room %s: %w", id, err)
	}
	return room, nil
}

// ListByStatus returns up to limit rooms in the given status, oldest
// scheduled first.
func (r *Rooms) ListByStatus(ctx context.Context, status string, limit int) ([]Room, error) {
	rows, err := r.db.Pool.Query(ctx, `SELECT `+roomColumns+` FROM rooms WHERE status = $1
		ORDER BY scheduled_at NULLS LAST, id LIMIT $2`, status, limit)
	if err != nil {
		return nil, fmt.Errorf("list %s rooms: %w", status, err)
	}
	out, err := collect(rows, scanRoom)
	if err != nil {
		return nil, fmt.Errorf("list %s rooms: %w", status, err)
	}
	return out, nil
}

// SetStatus moves a room to a new status, stamping started_at or ended_at.
// Ended rooms never come back: that move answers ErrConflict. An ended room
// is also marked for the sweep that removes its Redis keys (parked_at, see
// PickEndedParked), whoever ran it.
func (r *Rooms) SetStatus(ctx context.Context, id, status string) (Room, error) {
	room, err := scanRoom(r.db.Pool.QueryRow(ctx, `
		UPDATE rooms SET status = $2, version = version + 1, updated_at = now(),
			started_at = CASE WHEN $2 = 'live' THEN coalesce(started_at, now()) ELSE started_at END,
			ended_at   = CASE WHEN $2 = 'ended' THEN now() ELSE ended_at END,
			parked_at  = CASE WHEN $2 = 'ended' THEN now() ELSE parked_at END
		WHERE id = $1 AND status <> 'ended' RETURNING `+roomColumns, id, status))
	if errors.Is(err, ErrNotFound) {
		if _, gerr := r.Get(ctx, id); gerr == nil {
			err = fmt.Errorf("%w: room has ended", ErrConflict)
		}
	}
	if err != nil {
		return Room{}, fmt.Errorf("set room %s %s: %w", id, status, err)
	}
	return room, nil
}

// GoLive makes a room live and, in the same transaction, gives each of
// its seller's followers a seller_live notification, so a show never goes
// live without telling them. It returns the room and how many were told.
// An ended room answers ErrConflict, as SetStatus does.
func (r *Rooms) GoLive(ctx context.Context, id string) (Room, int64, error) {
	var room Room
	var told int64
	err := r.db.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		room, err = scanRoom(tx.QueryRow(ctx, `
			UPDATE rooms SET status = 'live', version = version + 1, updated_at = now(),
				started_at = coalesce(started_at, now())
			WHERE id = $1 AND status <> 'ended' RETURNING `+roomColumns, id))
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO notifications (user_id, kind, room_id, dedupe_key)
			SELECT follower_id, 'seller_live', $1::uuid, 'live:' || $3::text || ':' || follower_id::text
			FROM follows WHERE seller_id = $2
			ON CONFLICT (dedupe_key) DO NOTHING`, room.ID, room.SellerID, room.ID)
		if err != nil {
			return mapError(err)
		}
		told = tag.RowsAffected()
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		if _, gerr := r.Get(ctx, id); gerr == nil {
			err = fmt.Errorf("%w: room has ended", ErrConflict)
		}
	}
	if err != nil {
		return Room{}, 0, fmt.Errorf("take room %s live: %w", id, err)
	}
	return room, told, nil
}

// RotatePublishToken replaces the room's publish token and returns the new one;
// the old token stops working at once.
func (r *Rooms) RotatePublishToken(ctx context.Context, id string) (string, error) {
	token, hash, err := newPublishToken()
	if err != nil {
		return "", err
	}
	tag, err := r.db.Pool.Exec(ctx, `UPDATE rooms SET publish_token_hash = $2, updated_at = now()
		WHERE id = $1`, id, hash[:])
	if err != nil {
		return "", fmt.Errorf("rotate publish token of room %s: %w", id, mapError(err))
	}
	if tag.RowsAffected() == 0 {
		return "", fmt.Errorf("rotate publish token of room %s: %w", id, ErrNotFound)
	}
	return token, nil
}

// CheckPublishToken reports whether token is the room's current publish token,
// comparing hashes in constant time. An unknown room is ErrNotFound.
func (r *Rooms) CheckPublishToken(ctx context.Context, id, token string) (bool, error) {
	if !ids.Valid(id) {
		return false, fmt.Errorf("check publish token of room %q: %w", id, ErrNotFound)
	}
	var stored []byte
	err := r.db.Pool.QueryRow(ctx, `SELECT publish_token_hash FROM rooms WHERE id = $1`, id).Scan(&stored)
	if err != nil {
		return false, fmt.Errorf("check publish token of room %s: %w", id, mapError(err))
	}
	got := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(stored, got[:]) == 1, nil
}

// newPublishToken makes a random bearer token and its SHA-256.
func newPublishToken() (string, [32]byte, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", [32]byte{}, fmt.Errorf("make publish token: %w", err)
	}
	token := "pt_" + base64.RawURLEncoding.EncodeToString(raw[:])
	return token, sha256.Sum256([]byte(token)), nil
}

// LiveRoomIDs returns the IDs of every live room that is not parked, for
// nodes looking for rooms to own (a parked room runs nowhere until it is
// woken: see Park).
func (r *Rooms) LiveRoomIDs(ctx context.Context) ([]string, error) {
	rows, err := r.db.Pool.Query(ctx, `SELECT id FROM rooms WHERE status = 'live' AND parked_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list live rooms: %w", mapError(err))
	}
	ids, err := collect(rows, func(row interface{ Scan(...any) error }) (id string, err error) {
		err = row.Scan(&id)
		return id, err
	})
	if err != nil {
		return nil, fmt.Errorf("list live rooms: %w", err)
	}
	return ids, nil
}

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
		if !ids.Valid(f.SellerID) {
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
	out, err := collect(rows, scanRoom)
	if err != nil {
		return nil, fmt.Errorf("list %s rooms: %w", f.Status, err)
	}
	return out, nil
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
