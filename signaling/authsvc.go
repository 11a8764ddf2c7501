package signaling

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/bidcast/bidcast/auth"
)

// AuthService gives the gateway auth's rules in the gateway's own types: who
// opens a WebSocket (Authenticator), who may bid in a room (BidGrant), who
// may watch one (ViewChecker), and who a connected user is now, when an
// access notice arrives (IdentityLoader). It holds no rule of its own: each
// answer is auth's, with auth's errors turned into the protocol's codes.
type AuthService struct{ Svc *auth.Service }

var (
	_ Authenticator  = AuthService{}
	_ BidGrant       = AuthService{}
	_ ViewChecker    = AuthService{}
	_ IdentityLoader = AuthService{}
)

// Authenticate implements Authenticator: a single-use ticket in the query
// (?ticket=, from POST /auth/ticket; what browsers on another origin and
// load generators use), or else the session cookie or bearer token.
func (a AuthService) Authenticate(r *http.Request) (Identity, error) {
	var (
		p   auth.Principal
		err error
	)
	if t := r.URL.Query().Get("ticket"); t != "" {
		p, err = a.Svc.RedeemTicket(r.Context(), t)
	} else {
		p, err = a.Svc.Authenticate(r)
	}
	if err != nil {
		return Identity{}, authError(err)
	}
	if p.Anonymous() {
		return Identity{}, ErrUnauthorized
	}
	// The socket may stay open for hours: it starts with the role and ban
	// of record, not those its credentials were issued with.
	if p, err = a.Svc.LoadPrincipal(r.Context(), p.UserID); err != nil {
		return Identity{}, identityError(err)
	}
	return identityOf(p), nil
}

// CanBid implements BidGrant with auth.Principal.CanBid, for the room
// being bid in.
func (AuthService) CanBid(id Identity, room RoomInfo) error {
	err := principalOf(id).CanBid(auth.Room{ID: room.ID, SellerID: room.SellerID, GuestsMayBid: room.GuestsMayBid})
	if err == nil {
		return nil
	}
	var ae *auth.Error
	switch {
	case !errors.As(err, &ae):
		return err
	case errors.Is(err, auth.ErrUnauthorized):
		return Errorf(CodeUnauthorized, ae.Message)
	}
	return Errorf(CodeForbidden, ae.Message) // its message says why (a guest, the seller)
}

// CanView implements ViewChecker with auth.Service.CanView, the one rule
// for watching a room.
func (a AuthService) CanView(_ context.Context, id Identity, room RoomInfo, token string) error {
	err := a.Svc.CanView(principalOf(id), auth.Room{ID: room.ID, SellerID: room.SellerID, Public: room.Public}, token)
	if err == nil {
		return nil
	}
	if token != "" {
		return Errorf(CodeForbidden, "this viewer_token does not admit you to this room")
	}
	return Errorf(CodeForbidden, "this room is private; join it with a viewer_token")
}

// LoadIdentity implements IdentityLoader: it reloads a connected user from
// Postgres.
func (a AuthService) LoadIdentity(ctx context.Context, userID string) (Identity, error) {
	p, err := a.Svc.LoadPrincipal(ctx, userID)
	if err != nil {
		return Identity{}, identityError(err)
	}
	return identityOf(p), nil
}

// principalOf is an Identity as auth sees it.
func principalOf(id Identity) auth.Principal {
	return auth.Principal{UserID: id.UserID, DisplayName: id.DisplayName, Role: id.Role, Guest: id.Guest}
}

// identityOf is a Principal as the gateway sees it.
func identityOf(p auth.Principal) Identity {
	// Whether the account may bid is decided per room, at each bid, by
	// CanBid: a guest may bid only where the room takes guest bids.
	return Identity{UserID: p.UserID, DisplayName: p.DisplayName, Role: p.Role, Guest: p.Guest, CanBid: true}
}

// authError maps auth's errors at the upgrade: bad or missing credentials
// are 401 unauthorized, a backing store failure is unavailable.
func authError(err error) error {
	if errors.Is(err, auth.ErrUnavailable) {
		return Errorf(CodeUnavailable, "sign-in service unavailable; try again")
	}
	return fmt.Errorf("%v: %w", err, ErrUnauthorized)
}

// identityError maps LoadPrincipal's errors to the gateway's codes.
func identityError(err error) error {
	switch {
	case errors.Is(err, auth.ErrBanned):
		return Errorf(CodeBanned, "this account is banned")
	case errors.Is(err, auth.ErrNotFound):
		return Errorf(CodeUnauthorized, "this account no longer exists")
	case errors.Is(err, auth.ErrUnavailable):
		return Errorf(CodeUnavailable, "sign-in service unavailable; try again")
	}
	return fmt.Errorf("reload identity: %w", err)
}
