package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/bidcast/bidcast/sfu"
	"github.com/bidcast/bidcast/storage"
)

// MediaGrants is who may publish and watch over WHIP and WHEP, in the
// SFU's terms: it implements sfu.Authorizer over the Service's rooms
// (build the Service WithRooms).
type MediaGrants struct{ svc *Service }

var _ sfu.Authorizer = MediaGrants{}

// MediaGrants returns the SFU's view of the room grants.
func (s *Service) MediaGrants() MediaGrants { return MediaGrants{svc: s} }

// AuthorizePublish accepts the room's current publish token, until the show
// has ended.
func (g MediaGrants) AuthorizePublish(ctx context.Context, roomID, token string) error {
	rooms := g.svc.rooms
	if rooms == nil {
		return errNoRooms
	}
	if token == "" {
		return fmt.Errorf("%w: publishing needs the room's publish token as a Bearer token", sfu.ErrUnauthorized)
	}
	ok, err := rooms.CheckPublishToken(ctx, roomID, token)
	if errors.Is(err, storage.ErrNotFound) {
		return sfu.ErrRoomNotFound
	}
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: that is not this room's publish token", sfu.ErrForbidden)
	}
	room, err := rooms.Get(ctx, roomID)
	if err != nil {
		return err
	}
	if room.Status == storage.RoomEnded {
		return fmt.Errorf("%w: the show has ended", sfu.ErrForbidden)
	}
	return nil
}

// AuthorizeView lets anyone watch a public room that has not ended, and a
// private one whoever CanViewBearer admits: a viewer token for the room, or
// the session of its seller or an admin.
func (g MediaGrants) AuthorizeView(ctx context.Context, roomID, token string) error {
	rooms := g.svc.rooms
	if rooms == nil {
		return errNoRooms
	}
	room, err := rooms.Get(ctx, roomID)
	if errors.Is(err, storage.ErrNotFound) {
		return sfu.ErrRoomNotFound
	}
	if err != nil {
		return err
	}
	if room.Status == storage.RoomEnded {
		return fmt.Errorf("%w: the show has ended", sfu.ErrRoomNotFound)
	}
	switch err := g.svc.CanViewBearer(ctx, RoomOf(room), token); {
	case err == nil:
		return nil
	case errors.Is(err, ErrUnauthorized):
		return fmt.Errorf("%w: this room is private; a viewer token is required", sfu.ErrUnauthorized)
	case errors.Is(err, ErrUnavailable):
		return err
	default:
		return fmt.Errorf("%w: this token does not admit you to this room", sfu.ErrForbidden)
	}
}

// SessionBearer lets a signed-in browser page watch over WHEP with its
// session cookie: the SFU reads only a Bearer token, so a request without
// one presents the access cookie as its bearer, for AuthorizeView to
// admit the page's user as it would over the WebSocket. The cookie is
// SameSite=Lax, so a cross-site POST does not carry it.
func SessionBearer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			if c, err := r.Cookie(AccessCookie); err == nil && c.Value != "" {
				r = r.Clone(r.Context())
				r.Header.Set("Authorization", "Bearer "+c.Value)
			}
		}
		next.ServeHTTP(w, r)
	})
}
