package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ErrFenced is returned by CheckFence when another instance has claimed the
// room since the caller's claim: the caller must not commit for the room.
var ErrFenced = errors.New("storage: room claimed by a newer owner")

// Fences stores the fencing token of each room's ownership (room_fences).
type Fences struct{ db *DB }

// NewFences returns the fences repository.
func NewFences(db *DB) *Fences { return &Fences{db: db} }

// RaiseFence takes the room's next fencing token and returns it. It waits
// for commits of the room that hold the current token (CheckFence locks it
// for share), so once it returns no older owner can commit.
func (f *Fences) RaiseFence(ctx context.Context, roomID string) (int64, error) {
	var token int64
	err := f.db.Pool.QueryRow(ctx, `
		INSERT INTO room_fences (room_id, token) VALUES ($1, 1)
		ON CONFLICT (room_id) DO UPDATE SET token = room_fences.token + 1, updated_at = now()
		RETURNING token`, roomID).Scan(&token)
	if err != nil {
		return 0, fmt.Errorf("raise fence of room %s: %w", roomID, mapError(err))
	}
	return token, nil
}

// CheckFence, run inside a room's commit transaction, fails with ErrFenced
// unless token is the room's current fencing token, and holds the token
// (FOR SHARE) until the transaction ends, so a new owner's RaiseFence waits
// for this commit instead of overtaking it. Token 0 means unfenced (a room
// run without a node, as in tests) and checks nothing.
func CheckFence(ctx context.Context, tx pgx.Tx, roomID string, token int64) error {
	if token == 0 {
		return nil
	}
	var cur int64
	err := tx.QueryRow(ctx, `SELECT token FROM room_fences WHERE room_id = $1 FOR SHARE`, roomID).Scan(&cur)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("room %s has no fence: %w", roomID, ErrFenced)
	}
	if err != nil {
		return fmt.Errorf("check fence of room %s: %w", roomID, mapError(err))
	}
	if cur != token {
		return fmt.Errorf("room %s: fence %d, ours %d: %w", roomID, cur, token, ErrFenced)
	}
	return nil
}

// roomFence is the claim a Lots commits for: a room and the claim's
// fencing token (0: unfenced).
type roomFence struct {
	roomID string
	token  int64
}

// Fenced returns the lots repository for the commits of one claim of a
// room: its CommitBatch, CommitState and CommitBids write only while token is
// roomID's current fencing token and otherwise write nothing and fail with
// ErrFenced, holding the token for share until they commit (as CheckFence),
// so the next claim's RaiseFence waits for a commit in flight. Token 0 is
// unfenced: the repository commits as NewLots's does.
func (r *Lots) Fenced(roomID string, token int64) *Lots {
	return &Lots{db: r.db, fence: roomFence{roomID: roomID, token: token}, group: r.group}
}

// tokenFor returns the fencing token a commit for roomID must hold, or an
// error if the repository is fenced for another room.
func (r *Lots) tokenFor(roomID string) (int64, error) {
	if r.fence.token != 0 && r.fence.roomID != roomID {
		return 0, fmt.Errorf("commit for room %s through the repository fenced for room %s", roomID, r.fence.roomID)
	}
	return r.fence.token, nil
}
