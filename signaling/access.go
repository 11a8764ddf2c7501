package signaling

import (
	"context"
	"errors"

	"github.com/coder/websocket"

	"github.com/bidcast/bidcast/storage"
)

// Close codes for connections whose rights changed while they were open
// (protocol v1; see docs/protocol.md).
const (
	// StatusRightsChanged closes a connection whose account changed role
	// (a seller demoted, a bidder made seller): its rights are read at the
	// upgrade, so the client reconnects to carry on with the new ones.
	StatusRightsChanged websocket.StatusCode = 4001
	// StatusAccessRevoked closes a connection that may no longer do what it
	// was doing: the account was banned from the site or from its room, or
	// the room was made private and the connection holds no right to watch
	// it. Reconnecting does not restore the access.
	StatusAccessRevoked websocket.StatusCode = 4003
)

// maxViewerToken bounds a viewer token in join; real ones are a few hundred
// bytes.
const maxViewerToken = 2048

// ViewChecker is the one rule for watching a room: anyone for a public
// room; for a private one its seller, an admin, or the holder of a viewer
// token for it. The auth package states the rule; the server wiring adapts
// it. It returns an *Error (forbidden) when id may not watch room.
type ViewChecker interface {
	CanView(ctx context.Context, id Identity, room RoomInfo, viewerToken string) error
}

// IdentityLoader reads who a user is now, from the accounts of record
// (Postgres), when an access notice says their rights changed. It returns
// an *Error with CodeBanned for an account banned from the site, one with
// CodeUnauthorized for an account that no longer exists, and any other
// error when it cannot tell (the connection then keeps its rights until the
// next notice).
type IdentityLoader interface {
	LoadIdentity(ctx context.Context, userID string) (Identity, error)
}

// checkView applies the ViewChecker, or without one the narrowest rule:
// public rooms, their seller and admins; viewer tokens need the checker.
func (g *Gateway) checkView(ctx context.Context, id Identity, room RoomInfo, viewerToken string) error {
	if g.views != nil {
		return g.views.CanView(ctx, id, room, viewerToken)
	}
	if room.Public || isSellerOf(id, room) {
		return nil
	}
	return Errorf(CodeForbidden, "this room is private; join it with a viewer_token")
}

// mayStillWatch re-checks that the connection may watch its room: the
// room's access and the user's ban, read fresh.
func (g *Gateway) mayStillWatch(ctx context.Context, c *conn) error {
	roomID := c.room()
	if roomID == "" {
		return Errorf(CodeNotJoined, "join a room first")
	}
	room, err := g.rooms.get(ctx, roomID)
	if err != nil {
		return err
	}
	if err := g.checkView(ctx, c.id, room, c.token()); err != nil {
		return err
	}
	_, err = g.roomModeration(ctx, roomID, c.id.UserID)
	return err
}

// roomModeration is the user's moderation state in the room, or an error
// with CodeBanned when the room has banned them: a banned user may not
// join, watch, bid or chat there.
func (g *Gateway) roomModeration(ctx context.Context, roomID, userID string) (UserModeration, error) {
	mod, err := g.moderation.State(ctx, roomID, userID)
	if err != nil {
		return UserModeration{}, err
	}
	if mod.Banned {
		return UserModeration{}, Errorf(CodeBanned, "you are banned from this room")
	}
	return mod, nil
}

// token returns the viewer token the connection joined its room with.
func (c *conn) token() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.viewerToken
}

// isSellerOf reports whether id may run room: its seller while the account
// still holds a selling role (a demoted seller loses their rooms), or an
// admin. It is the auth package's rule (Principal.CanCommand) for the
// gateway's Identity.
func isSellerOf(id Identity, room RoomInfo) bool {
	if id.UserID == "" {
		return false
	}
	if id.Role == storage.RoleAdmin {
		return true
	}
	return id.UserID == room.SellerID && id.Role == storage.RoleSeller
}

// stillSellerOf reports whether the connection may run room, with its
// account's role read again when an IdentityLoader is wired: seller
// commands and publishing are rare, so they need not wait for an access
// notice to see a demotion.
func (g *Gateway) stillSellerOf(ctx context.Context, c *conn, room RoomInfo) bool {
	if !isSellerOf(c.id, room) {
		return false
	}
	if g.identities == nil {
		return true
	}
	id, err := g.identities.LoadIdentity(ctx, c.id.UserID)
	if err != nil {
		g.log.Warn("reload identity for a seller command", "user", c.id.UserID, "err", err)
		return false
	}
	return isSellerOf(id, room)
}

// sameRights reports whether a reloaded identity may do exactly what the
// connection was opened with.
func sameRights(a, b Identity) bool {
	return a.Role == b.Role && a.Guest == b.Guest && a.CanBid == b.CanBid
}

// revokeReason says, for the close frame, why access ended; err came from
// the ViewChecker, the IdentityLoader or moderation.
func revokeReason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code + ": " + e.Message
	}
	return CodeForbidden
}
