package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/bidcast/bidcast/auth"
	"github.com/bidcast/bidcast/storage"
)

// AuthService gives the API the auth package's answers in the API's own
// terms: it is the Authenticator and the RoomViewer of the server.
type AuthService struct{ Svc *auth.Service }

var (
	_ Authenticator = AuthService{}
	_ RoomViewer    = AuthService{}
)

// Authenticate implements Authenticator: no credentials is the anonymous
// caller, bad credentials are ErrUnauthenticated. A token outlives a change
// of role or a ban by up to its lifetime, so what the caller may do is read
// from the accounts of record: a banned account gets 403 banned.
func (a AuthService) Authenticate(r *http.Request) (Principal, error) {
	p, err := a.Svc.Authenticate(r)
	switch {
	case errors.Is(err, auth.ErrUnauthorized):
		return Principal{}, nil
	case errors.Is(err, auth.ErrUnavailable):
		return Principal{}, err
	case err != nil:
		return Principal{}, fmt.Errorf("%v: %w", err, ErrUnauthenticated)
	}
	switch p, err = a.Svc.LoadPrincipal(r.Context(), p.UserID); {
	case errors.Is(err, auth.ErrBanned):
		return Principal{}, &Error{Status: http.StatusForbidden, Code: "banned", Message: "this account is banned"}
	case errors.Is(err, auth.ErrNotFound):
		return Principal{}, fmt.Errorf("%v: %w", err, ErrUnauthenticated)
	case err != nil:
		return Principal{}, err
	}
	return Principal{UserID: p.UserID, DisplayName: p.DisplayName, Role: p.Role, Guest: p.Guest}, nil
}

// CanView implements RoomViewer with auth's one view rule.
func (a AuthService) CanView(_ context.Context, p Principal, room storage.Room, token string) error {
	return a.Svc.CanView(auth.Principal{UserID: p.UserID, DisplayName: p.DisplayName, Role: p.Role, Guest: p.Guest},
		auth.RoomOf(room), token)
}
