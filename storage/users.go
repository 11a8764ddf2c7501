package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/bidcast/bidcast/internal/ids"
)

// Roles a user can hold. Guests are bidders whose provider is "guest".
const (
	RoleBidder = "bidder"
	RoleSeller = "seller"
	RoleAdmin  = "admin"
)

// User is an account, keyed by the identity provider and its subject.
type User struct {
	ID           string
	Provider     string
	Subject      string
	DisplayName  string
	Email        string
	Role         string
	SellerStatus string
	CreatedAt    time.Time
}

// Users is the repository of accounts.
type Users struct{ db *DB }

// NewUsers returns the users repository over db.
func NewUsers(db *DB) *Users { return &Users{db: db} }

const userColumns = `id, provider, subject, display_name, email, role, seller_status, created_at`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Provider, &u.Subject, &u.DisplayName, &u.Email, &u.Role, &u.SellerStatus, &u.CreatedAt)
	return u, mapError(err)
}

// Upsert creates the user for (provider, subject) or refreshes its display
// name and email, returning the stored row. The role of an existing user is
// kept: signing in again never changes what a user may do.
func (r *Users) Upsert(ctx context.Context, u User) (User, error) {
	role := u.Role
	if role == "" {
		role = RoleBidder
	}
	row := r.db.Pool.QueryRow(ctx, `
		INSERT INTO users (provider, subject, display_name, email, role)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (provider, subject) DO UPDATE
		SET display_name = EXCLUDED.display_name, email = EXCLUDED.email, updated_at = now()
		RETURNING `+userColumns, u.Provider, u.Subject, u.DisplayName, u.Email, role)
	out, err := scanUser(row)
	if err != nil {
		return User{}, fmt.Errorf("upsert user %s/%s: %w", u.Provider, u.Subject, err)
	}
	return out, nil
}

// Get returns the user with the given ID.
func (r *Users) Get(ctx context.Context, id string) (User, error) {
	if !ids.Valid(id) {
		return User{}, fmt.Errorf("get user %q: %w", id, ErrNotFound)
	}
	u, err := scanUser(r.db.Pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if err != nil {
		return User{}, fmt.Errorf("get user %s: %w", id, err)
	}
	return u, nil
}

// SetRole changes a user's role, for example when an admin approves a seller.
func (r *Users) SetRole(ctx context.Context, id, role string) (User, error) {
	status := "none"
	if role == RoleSeller || role == RoleAdmin {
		status = "approved"
	}
	u, err := scanUser(r.db.Pool.QueryRow(ctx, `
		UPDATE users SET role = $2, seller_status = $3, updated_at = now()
		WHERE id = $1 RETURNING `+userColumns, id, role, status))
	if err != nil {
		return User{}, fmt.Errorf("set role of user %s: %w", id, err)
	}
	return u, nil
}

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
	if !ids.Valid(id) {
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
