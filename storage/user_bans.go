package storage

import (
	"context"
	"fmt"

	"github.com/bidcast/bidcast/internal/ids"
)

// Ban bars a user from the whole site, with a reason for the record.
// Banning a banned user updates the reason.
func (r *Users) Ban(ctx context.Context, id, reason string) error {
	if !ids.Valid(id) {
		return fmt.Errorf("ban user %q: %w", id, ErrNotFound)
	}
	_, err := r.db.Pool.Exec(ctx, `INSERT INTO user_bans (user_id, reason) VALUES ($1, $2)
		ON CONFLICT (user_id) DO UPDATE SET reason = EXCLUDED.reason`, id, reason)
	if err != nil {
		return fmt.Errorf("ban user %s: %w", id, mapError(err))
	}
	return nil
}

// Unban lifts a site-wide ban; unbanning someone not banned is no error.
func (r *Users) Unban(ctx context.Context, id string) error {
	if !ids.Valid(id) {
		return fmt.Errorf("unban user %q: %w", id, ErrNotFound)
	}
	if _, err := r.db.Pool.Exec(ctx, `DELETE FROM user_bans WHERE user_id = $1`, id); err != nil {
		return fmt.Errorf("unban user %s: %w", id, mapError(err))
	}
	return nil
}

// Banned reports whether a user is banned from the site.
func (r *Users) Banned(ctx context.Context, id string) (bool, error) {
	if !ids.Valid(id) {
		return false, nil
	}
	var banned bool
	err := r.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM user_bans WHERE user_id = $1)`, id).Scan(&banned)
	if err != nil {
		return false, fmt.Errorf("read ban of user %s: %w", id, mapError(err))
	}
	return banned, nil
}
