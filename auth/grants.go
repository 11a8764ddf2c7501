package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/bidcast/bidcast/storage"
)

// RoomStore is what room grants need from the rooms repository;
// *storage.Rooms implements it.
type RoomStore interface {
	Get(ctx context.Context, id string) (storage.Room, error)
	CheckPublishToken(ctx context.Context, id, token string) (bool, error)
}

var _ RoomStore = (*storage.Rooms)(nil)

// errNoRooms is a wiring mistake: the Service was built without WithRooms.
var errNoRooms = errors.New("auth: no room store: build the Service WithRooms")

// CanPublish reports whether a publisher may send the room's stream: the
// room's own seller (signed in), or anyone presenting the room's publish
// token as bearer (OBS or ffmpeg over WHIP, which cannot sign in). Another
// seller, an admin or a bidder is refused: a show has one camera, its
// seller's.
func (s *Service) CanPublish(ctx context.Context, p Principal, roomID, bearer string) error {
	if s.rooms == nil {
		return errNoRooms
	}
	room, err := s.rooms.Get(ctx, roomID)
	if err != nil {
		return fmt.Errorf("publish to room %s: %w", roomID, storageErr(err))
	}
	if p.sellerOf(RoomOf(room)) {
		return nil
	}
	if bearer != "" {
		ok, err := s.rooms.CheckPublishToken(ctx, roomID, bearer)
		if err != nil {
			return fmt.Errorf("publish to room %s: %w", roomID, storageErr(err))
		}
		if ok {
			return nil
		}
		return fmt.Errorf("publish to room %s: wrong publish token: %w", roomID, ErrForbidden)
	}
	if p.Anonymous() {
		return fmt.Errorf("publish to room %s: %w", roomID, ErrUnauthorized)
	}
	return fmt.Errorf("publish to room %s: not its seller: %w", roomID, ErrForbidden)
}

// IssueViewerToken lets whoever holds it watch a non-public room for
// ViewerTTL, as the room's seller or an admin hands out invitations. The
// token names the room and the issuing user.
func (s *Service) IssueViewerToken(p Principal, room Room) (string, error) {
	if err := p.CanCommand(room); err != nil {
		return "", fmt.Errorf("issue viewer token: %w", err)
	}
	return s.jwt.sign(viewerClaims{
		RegisteredClaims: s.jwt.registered(p.UserID, audienceViewer, s.cfg.ViewerTTL),
		Room:             room.ID,
	})
}

// CheckViewerToken reports whether token grants watching roomID.
func (s *Service) CheckViewerToken(token, roomID string) error {
	var c viewerClaims
	if err := s.jwt.parse(token, audienceViewer, &c); err != nil {
		return err
	}
	if c.Room == "" || c.Room != roomID {
		return fmt.Errorf("viewer token for room %q used for %s: %w", c.Room, roomID, ErrForbidden)
	}
	return nil
}

// CanView reports whether p may watch room: anyone for a public room; for
// others, the seller, an admin, or a holder of a viewer token for it.
func (s *Service) CanView(p Principal, room Room, viewerToken string) error {
	if room.Public || p.sellerOf(room) || p.IsAdmin() {
		return nil
	}
	if viewerToken == "" {
		if p.Anonymous() {
			return fmt.Errorf("view room %s: %w", room.ID, ErrUnauthorized)
		}
		return fmt.Errorf("view room %s: not public: %w", room.ID, ErrForbidden)
	}
	return s.CheckViewerToken(viewerToken, room.ID)
}
