package auth

import (
	"context"
	"errors"
	"fmt"

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
