package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/bidcast/bidcast/internal/accessnotice"
	"github.com/bidcast/bidcast/internal/apierr"
	"github.com/bidcast/bidcast/storage"
)

// ErrBanned means the account is banned from the whole site.
var ErrBanned = apierr.New(http.StatusForbidden, "banned", "this account is banned")

// BanStore tells whether an account is banned from the site; *storage.Users
// implements it. A Service whose Users does not is told of no bans.
type BanStore interface {
	Banned(ctx context.Context, id string) (bool, error)
}

var _ BanStore = (*storage.Users)(nil)

// LoadPrincipal reads who userID is now from the accounts of record, not
// from a token: the role an admin may have changed since sign-in, and
// whether the account is banned (ErrBanned). An unknown user is
// ErrNotFound. Connections that outlive their credentials (the WebSocket)
// call it when told that rights changed.
func (s *Service) LoadPrincipal(ctx context.Context, userID string) (Principal, error) {
	u, err := s.users.Get(ctx, userID)
	if err != nil {
		return Principal{}, fmt.Errorf("load user %s: %w", userID, storageErr(err))
	}
	if bans, ok := s.users.(BanStore); ok {
		banned, err := bans.Banned(ctx, userID)
		if err != nil {
			return Principal{}, fmt.Errorf("load user %s: %w", userID, storageErr(err))
		}
		if banned {
			return Principal{}, fmt.Errorf("load user %s: %w", userID, ErrBanned)
		}
	}
	return s.principalOf(u), nil
}

// notifyAccess tells every node that n's rights changed, so open
// connections re-read them. The change is already stored: a failure to
// tell is logged, and connections pick the change up when they reconnect.
func (s *Service) notifyAccess(ctx context.Context, n accessnotice.Notice) {
	if err := accessnotice.Publish(ctx, s.rdb, n); err != nil {
		s.log.Warn("access change not announced to open connections", "user", n.UserID, "room", n.RoomID, "err", err)
	}
}

// FindUser looks a user up by users.id or by "provider:subject" (for
// example "github:12345"), as operators name them on the command line.
func FindUser(ctx context.Context, users Users, ref string) (storage.User, error) {
	ref = strings.TrimSpace(ref)
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
		return storage.User{}, fmt.Errorf("find user %q: no such user (sign in once first): %w", ref, ErrNotFound)
	} else if err != nil {
		return storage.User{}, fmt.Errorf("find user %q: %w", ref, err)
	}
	return u, nil
}

// CanViewBearer reports whether the bearer of token may watch room, for
// clients that present one token and no session (WHEP players): a viewer
// token for the room, or the access token of someone CanView admits (its
// seller or an admin, with the role read from the accounts of record). A
// public room needs no token.
func (s *Service) CanViewBearer(ctx context.Context, room Room, token string) error {
	if room.Public {
		return nil
	}
	if token == "" {
		return fmt.Errorf("view room %s: %w", room.ID, ErrUnauthorized)
	}
	if err := s.CheckViewerToken(token, room.ID); err == nil {
		return nil
	}
	p, err := s.jwt.parseAccess(token)
	if err != nil {
		return fmt.Errorf("view room %s: neither a viewer token for it nor a session: %w", room.ID, ErrForbidden)
	}
	if p, err = s.LoadPrincipal(ctx, p.UserID); err != nil {
		return fmt.Errorf("view room %s: %w", room.ID, err)
	}
	return s.CanView(p, room, "")
}
