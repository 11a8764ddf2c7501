package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
	s.log.Info("seller approved", "user", u.ID, "by", admin.UserID)
	return u, nil
}

// PromoteAdmin makes a user an admin, for `auctiond user promote`. The
// user is named by users.id or by "provider:subject" (for example
// "github:12345"), since an operator bootstrapping the first admin knows
// their login rather than an ID. The user must have signed in once.
func PromoteAdmin(ctx context.Context, users Users, idOrProviderSubject string) (storage.User, error) {
	ref := strings.TrimSpace(idOrProviderSubject)
	var (
		u   storage.User
		err error
	)
	if provider, subject, ok := strings.Cut(ref, ":"); ok {
		u, err = users.GetByIdentity(ctx, provider, subject)
	} else {
		u, err = users.Get(ctx, ref)
	}
	if errors.Is(err, storage.ErrNotFound) {
		return storage.User{}, fmt.Errorf("promote %q: no such user (sign in once first): %w", ref, ErrNotFound)
	} else if err != nil {
		return storage.User{}, fmt.Errorf("promote %q: %w", ref, err)
	}
	if u.Provider == GuestProvider {
		return storage.User{}, fmt.Errorf("promote %q: a guest account cannot be an admin: %w", ref, ErrForbidden)
	}
	if u, err = users.SetRole(ctx, u.ID, RoleAdmin); err != nil {
		return storage.User{}, fmt.Errorf("promote %q: %w", ref, err)
	}
	return u, nil
}
