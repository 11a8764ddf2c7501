package storage

import (
	"context"
	"fmt"
)

// Seller application states, kept in users.seller_status.
const (
	SellerNone     = "none"
	SellerApplied  = "applied"
	SellerApproved = "approved"
	SellerRejected = "rejected"
)

// GetByIdentity returns the user signed in through provider with the given
// subject, for operators who know a login but not the user's ID.
func (r *Users) GetByIdentity(ctx context.Context, provider, subject string) (User, error) {
	u, err := scanUser(r.db.Pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users
		WHERE provider = $1 AND subject = $2`, provider, subject))
	if err != nil {
		return User{}, fmt.Errorf("get user %s/%s: %w", provider, subject, err)
	}
	return u, nil
}

// SetSellerStatus records a user's application to sell (SellerApplied) or
// its rejection, without changing the role; approval goes through SetRole,
// which grants the role and marks the application approved together.
func (r *Users) SetSellerStatus(ctx context.Context, id, status string) (User, error) {
	if !validID(id) {
		return User{}, fmt.Errorf("set seller status of user %q: %w", id, ErrNotFound)
	}
	u, err := scanUser(r.db.Pool.QueryRow(ctx, `
		UPDATE users SET seller_status = $2, updated_at = now()
		WHERE id = $1 RETURNING `+userColumns, id, status))
	if err != nil {
		return User{}, fmt.Errorf("set seller status of user %s: %w", id, err)
	}
	return u, nil
}
