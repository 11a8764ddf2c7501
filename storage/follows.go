package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bidcast/bidcast/internal/ids"
)

// Followed is a seller a user follows.
type Followed struct {
	SellerID    string
	DisplayName string
	Since       time.Time
	// LiveRoomID is the seller's live room, or "" when none is live.
	LiveRoomID string
}

// Follows is the repository of who follows which seller.
type Follows struct{ db *DB }

// NewFollows returns the follows repository over db.
func NewFollows(db *DB) *Follows { return &Follows{db: db} }

// Follow makes follower follow seller; following twice is following once.
// A seller who is not a seller (or does not exist) is ErrNotFound; following
// oneself is ErrInvalid.
func (f *Follows) Follow(ctx context.Context, followerID, sellerID string) error {
	if !ids.Valid(followerID) || !ids.Valid(sellerID) {
		return fmt.Errorf("follow %s: %w", sellerID, ErrNotFound)
	}
	if followerID == sellerID {
		return fmt.Errorf("follow %s: %w: a seller cannot follow themselves", sellerID, ErrInvalid)
	}
	tag, err := f.db.Pool.Exec(ctx, `INSERT INTO follows (follower_id, seller_id)
		SELECT $1, id FROM users WHERE id = $2 AND role IN ('seller', 'admin')
		ON CONFLICT DO NOTHING`, followerID, sellerID)
	if err != nil {
		return fmt.Errorf("follow %s: %w", sellerID, mapError(err))
	}
	if tag.RowsAffected() == 0 {
		if ok, err := f.IsFollowing(ctx, followerID, sellerID); err != nil || !ok {
			return fmt.Errorf("follow %s: %w", sellerID, errors.Join(ErrNotFound, err))
		}
	}
	return nil
}

// Unfollow stops follower following seller; it reports whether they did.
func (f *Follows) Unfollow(ctx context.Context, followerID, sellerID string) (bool, error) {
	if !ids.Valid(followerID) || !ids.Valid(sellerID) {
		return false, nil
	}
	tag, err := f.db.Pool.Exec(ctx, `DELETE FROM follows WHERE follower_id = $1 AND seller_id = $2`,
		followerID, sellerID)
	if err != nil {
		return false, fmt.Errorf("unfollow %s: %w", sellerID, mapError(err))
	}
	return tag.RowsAffected() == 1, nil
}

// IsFollowing reports whether follower follows seller.
func (f *Follows) IsFollowing(ctx context.Context, followerID, sellerID string) (bool, error) {
	if !ids.Valid(followerID) || !ids.Valid(sellerID) {
		return false, nil
	}
	var ok bool
	err := f.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM follows WHERE follower_id = $1 AND seller_id = $2)`,
		followerID, sellerID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("is %s following %s: %w", followerID, sellerID, mapError(err))
	}
	return ok, nil
}

// Followers counts a seller's followers.
func (f *Follows) Followers(ctx context.Context, sellerID string) (int64, error) {
	if !ids.Valid(sellerID) {
		return 0, nil
	}
	var n int64
	if err := f.db.Pool.QueryRow(ctx, `SELECT count(*) FROM follows WHERE seller_id = $1`, sellerID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count followers of %s: %w", sellerID, mapError(err))
	}
	return n, nil
}

// ListAfter returns up to limit of the sellers follower follows, most
// recently followed first, starting after the key (nil: from the start).
func (f *Follows) ListAfter(ctx context.Context, followerID string, after *PageKey, limit int) ([]Followed, error) {
	if !ids.Valid(followerID) {
		return nil, nil
	}
	at, id := pageArgs(after)
	rows, err := f.db.Pool.Query(ctx, `SELECT f.seller_id, u.display_name, f.created_at,
			coalesce((SELECT r.id::text FROM rooms r WHERE r.seller_id = f.seller_id AND r.status = 'live'
				ORDER BY r.started_at DESC LIMIT 1), '')
		FROM follows f JOIN users u ON u.id = f.seller_id
		WHERE f.follower_id = $1 AND ($2::timestamptz IS NULL OR (f.created_at, f.seller_id) < ($2, $3::uuid))
		ORDER BY f.created_at DESC, f.seller_id DESC LIMIT $4`, followerID, at, id, limit)
	if err != nil {
		return nil, fmt.Errorf("list sellers %s follows: %w", followerID, mapError(err))
	}
	out, err := collect(rows, func(row interface{ Scan(...any) error }) (Followed, error) {
		var v Followed
		return v, row.Scan(&v.SellerID, &v.DisplayName, &v.Since, &v.LiveRoomID)
	})
	if err != nil {
		return nil, fmt.Errorf("list sellers %s follows: %w", followerID, err)
	}
	return out, nil
}
