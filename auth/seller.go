package auth

import (
	"context"
	"fmt"

	"github.com/bidcast/bidcast/internal/accessnotice"
	"github.com/bidcast/bidcast/storage"
)

// Becoming a seller is a request an admin grants, because a seller can
// take binding bids from strangers. Operators who trust everyone (a
// private deployment, a demo) set SellerAutoApprove.

// applySeller records p's application, or grants the role at once under
// auto-approval. Sellers and admins have nothing to apply for.
func (s *Service) applySeller(ctx context.Context, p Principal) (storage.User, error) {
	switch {
	case p.Anonymous():
		return storage.User{}, ErrUnauthorized
	case p.Guest:
		return storage.User{}, fmt.Errorf("apply to sell: guests cannot sell: %w", ErrForbidden)
	}
	u, err := s.users.Get(ctx, p.UserID)
	if err != nil {
		return storage.User{}, storageErr(err)
	}
	if u.Role == RoleSeller || u.Role == RoleAdmin {
		return u, nil
	}
	if s.cfg.SellerAutoApprove {
		u, err = s.users.SetRole(ctx, u.ID, RoleSeller)
		if err != nil {
			return storage.User{}, storageErr(err)
		}
		s.notifyAccess(ctx, accessnotice.Notice{UserID: u.ID})
		s.log.Info("seller approved automatically", "user", u.ID)
		return u, nil
	}
	u, err = s.users.SetSellerStatus(ctx, u.ID, storage.SellerApplied)
	if err != nil {
		return storage.User{}, storageErr(err)
	}
	s.log.Info("user applied to sell", "user", u.ID)
	return u, nil
}

// approveSeller grants the seller role to a user who applied. Only admins
// may; approving someone who never applied is refused, so a mistyped ID
// cannot silently make a stranger a seller.
func (s *Service) approveSeller(ctx context.Context, admin Principal, userID string) (storage.User, error) {
	if !admin.IsAdmin() {
		if admin.Anonymous() {
			return storage.User{}, ErrUnauthorized
		}
		return storage.User{}, fmt.Errorf("approve seller: %w", ErrForbidden)
	}
	u, err := s.users.Get(ctx, userID)
	if err != nil {
		return storage.User{}, storageErr(err)
	}
	if u.Role == RoleSeller || u.Role == RoleAdmin {
		return u, nil
	}
	if u.SellerStatus != storage.SellerApplied {
		return storage.User{}, fmt.Errorf("approve seller %s: %w", u.ID, ErrNotApplied)
	}
	if u, err = s.users.SetRole(ctx, u.ID, RoleSeller); err != nil {
		return storage.User{}, storageErr(err)
	}
	s.notifyAccess(ctx, accessnotice.Notice{UserID: u.ID})
	s.log.Info("seller approved", "user", u.ID, "by", admin.UserID)
	return u, nil
}

// PromoteAdmin makes a user an admin, for `auctiond user promote`. The
// user is named by users.id or by "provider:subject" (see FindUser), since
// an operator bootstrapping the first admin knows their login rather than
// an ID. The user must have signed in once. The caller announces the change
// to open connections (accessnotice), having the Redis client.
func PromoteAdmin(ctx context.Context, users Users, idOrProviderSubject string) (storage.User, error) {
	return ChangeRole(ctx, users, idOrProviderSubject, RoleAdmin)
}

// ChangeRole gives a user a role, for `auctiond user promote` and `user
// demote`. Guests can hold no role but bidder.
func ChangeRole(ctx context.Context, users Users, ref, role string) (storage.User, error) {
	if !validRole(role) {
		return storage.User{}, fmt.Errorf("change role of %q to %q: %w", ref, role, ErrBadRequest)
	}
	u, err := FindUser(ctx, users, ref)
	if err != nil {
		return storage.User{}, err
	}
	if u.Provider == GuestProvider && role != RoleBidder {
		return storage.User{}, fmt.Errorf("make %q %s: a guest account cannot be one: %w", ref, role, ErrForbidden)
	}
	if u, err = users.SetRole(ctx, u.ID, role); err != nil {
		return storage.User{}, fmt.Errorf("make %q %s: %w", ref, role, err)
	}
	return u, nil
}
