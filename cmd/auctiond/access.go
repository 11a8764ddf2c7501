package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/bidcast/bidcast/auth"
	"github.com/bidcast/bidcast/signaling"
)

// The one rule for watching a room is auth.Service.CanView; these adapters
// give it to the WebSocket gateway and the JSON API in their own types, and
// let the gateway reload who a user is when an access notice arrives.

// principalOfIdentity is the gateway's Identity as auth sees it.
func principalOfIdentity(id signaling.Identity) auth.Principal {
	return auth.Principal{UserID: id.UserID, DisplayName: id.DisplayName, Role: id.Role, Guest: id.Guest}
}

// identityOf is a Principal as the gateway sees it.
func identityOf(p auth.Principal) signaling.Identity {
	// Whether the account may bid is decided per room, at each bid, by
	// wsBidGrant: a guest may bid only where the room takes guest bids.
	return signaling.Identity{UserID: p.UserID, DisplayName: p.DisplayName, Role: p.Role, Guest: p.Guest,
		CanBid: true}
}

// wsViews applies CanView to WebSocket joins and media requests.
type wsViews struct{ svc *auth.Service }

var _ signaling.ViewChecker = wsViews{}

// CanView implements signaling.ViewChecker.
func (v wsViews) CanView(_ context.Context, id signaling.Identity, room signaling.RoomInfo, token string) error {
	err := v.svc.CanView(principalOfIdentity(id), auth.Room{ID: room.ID, SellerID: room.SellerID, Public: room.Public}, token)
	if err == nil {
		return nil
	}
	if token != "" {
		return signaling.Errorf(signaling.CodeForbidden, "this viewer_token does not admit you to this room")
	}
	return signaling.Errorf(signaling.CodeForbidden, "this room is private; join it with a viewer_token")
}

// wsIdentities reloads a connected user from Postgres.
type wsIdentities struct{ svc *auth.Service }

var _ signaling.IdentityLoader = wsIdentities{}

// LoadIdentity implements signaling.IdentityLoader.
func (l wsIdentities) LoadIdentity(ctx context.Context, userID string) (signaling.Identity, error) {
	p, err := l.svc.LoadPrincipal(ctx, userID)
	if err != nil {
		return signaling.Identity{}, identityError(err)
	}
	return identityOf(p), nil
}

// identityError maps LoadPrincipal's errors to the gateway's codes.
func identityError(err error) error {
	switch {
	case errors.Is(err, auth.ErrBanned):
		return signaling.Errorf(signaling.CodeBanned, "this account is banned")
	case errors.Is(err, auth.ErrNotFound):
		return signaling.Errorf(signaling.CodeUnauthorized, "this account no longer exists")
	case errors.Is(err, auth.ErrUnavailable):
		return signaling.Errorf(signaling.CodeUnavailable, "sign-in service unavailable; try again")
	}
	return fmt.Errorf("reload identity: %w", err)
}
