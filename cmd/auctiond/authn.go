package main

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/bidcast/bidcast/auth"
	"github.com/bidcast/bidcast/signaling"
)

// wsAuth establishes who opens a WebSocket: a single-use ticket in the
// query (?ticket=, from POST /auth/ticket; what browsers on another origin
// and load generators use), or else the session cookie or bearer token.
type wsAuth struct{ svc *auth.Service }

// Authenticate implements signaling.Authenticator.
func (a wsAuth) Authenticate(r *http.Request) (signaling.Identity, error) {
	var (
		p   auth.Principal
		err error
	)
	if t := r.URL.Query().Get("ticket"); t != "" {
		p, err = a.svc.RedeemTicket(r.Context(), t)
	} else {
		p, err = a.svc.Authenticate(r)
	}
	if err != nil {
		return signaling.Identity{}, wsAuthError(err)
	}
	if p.Anonymous() {
		return signaling.Identity{}, signaling.ErrUnauthorized
	}
	// The socket may stay open for hours: it starts with the role and ban
	// of record, not those its credentials were issued with.
	if p, err = a.svc.LoadPrincipal(r.Context(), p.UserID); err != nil {
		return signaling.Identity{}, identityError(err)
	}
	return identityOf(p), nil
}

// wsBidGrant answers the gateway's "may this identity bid in this room"
// with auth's rule, for the room being bid in.
type wsBidGrant struct{}

// CanBid implements signaling.BidGrant.
func (wsBidGrant) CanBid(id signaling.Identity, room signaling.RoomInfo) error {
	p := auth.Principal{UserID: id.UserID, DisplayName: id.DisplayName, Role: id.Role, Guest: id.Guest}
	err := p.CanBid(auth.Room{ID: room.ID, SellerID: room.SellerID, GuestsMayBid: room.GuestsMayBid})
	if err == nil {
		return nil
	}
	var ae *auth.Error
	switch {
	case !errors.As(err, &ae):
		return err
	case errors.Is(err, auth.ErrUnauthorized):
		return signaling.Errorf(signaling.CodeUnauthorized, ae.Message)
	}
	return signaling.Errorf(signaling.CodeForbidden, ae.Message) // its message says why (a guest, the seller)
}

// wsAuthError maps auth's errors to the gateway's: bad or missing
// credentials are 401 unauthorized, a backing store failure is unavailable.
func wsAuthError(err error) error {
	var ae *auth.Error
	if errors.As(err, &ae) && ae == auth.ErrUnavailable {
		return signaling.Errorf(signaling.CodeUnavailable, "sign-in service unavailable; try again")
	}
	if errors.Is(err, auth.ErrUnavailable) {
		return signaling.Errorf(signaling.CodeUnavailable, "sign-in service unavailable; try again")
	}
	return fmt.Errorf("%v: %w", err, signaling.ErrUnauthorized)
}
