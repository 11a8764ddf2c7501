package auth

import (
	"context"
	"fmt"

	"github.com/bidcast/bidcast/storage"
)

// Roles, as stored on users. Guests are bidders whose provider is "guest".
const (
	RoleBidder = storage.RoleBidder
	RoleSeller = storage.RoleSeller
	RoleAdmin  = storage.RoleAdmin
)

// GuestProvider is the provider name of guest accounts.
const GuestProvider = "guest"

func validRole(r string) bool { return r == RoleBidder || r == RoleSeller || r == RoleAdmin }

// Principal is who is calling. The zero Principal is nobody (anonymous).
// It is a value: copy it freely between goroutines.
type Principal struct {
	// UserID is users.id.
	UserID string `json:"user_id"`
	// DisplayName is the name shown to others.
	DisplayName string `json:"display_name"`
	// Role is RoleBidder, RoleSeller or RoleAdmin.
	Role string `json:"role"`
	// Guest marks an account made with a display name only.
	Guest bool `json:"guest"`
}

// Room is what authorization needs to know about a room. Packages that do
// not import storage (the WebSocket gateway) fill it from their own types.
type Room struct {
	ID       string
	SellerID string
	// Public rooms can be watched by anyone; others need a viewer token.
	Public bool
	// GuestsMayBid is the room's own setting: guests may bid in it. Off
	// for a Room built by hand: the safe default.
	GuestsMayBid bool
}

// RoomOf converts a stored room.
func RoomOf(r storage.Room) Room {
	return Room{ID: r.ID, SellerID: r.SellerID, Public: r.Public, GuestsMayBid: r.GuestsMayBid}
}

// Anonymous reports whether nobody is signed in.
func (p Principal) Anonymous() bool { return p.UserID == "" }

// IsAdmin reports whether p may act on anyone's rooms and approve sellers.
func (p Principal) IsAdmin() bool { return !p.Anonymous() && !p.Guest && p.Role == RoleAdmin }

// CanSell reports whether p may keep a catalogue and run shows.
func (p Principal) CanSell() bool {
	return !p.Anonymous() && !p.Guest && (p.Role == RoleSeller || p.Role == RoleAdmin)
}

// sellerOf reports whether p runs room as its seller (and still holds a
// selling role: a demoted seller loses control of their rooms).
func (p Principal) sellerOf(room Room) bool {
	return p.CanSell() && room.SellerID != "" && p.UserID == room.SellerID
}

// CanChat reports whether p may post in room's chat: anyone signed in,
// guests included. Mutes and bans are the room actor's business.
func (p Principal) CanChat(room Room) error {
	if p.Anonymous() {
		return fmt.Errorf("chat in room %s: %w", room.ID, ErrUnauthorized)
	}
	return nil
}

// CanBid reports whether p may bid in room: signed in, not a guest unless
// the room takes guest bids (a setting of each room, never of the server:
// the demo room opens itself, not every seller's show), and not the room's
// own seller (shill bidding). Whether a lot is open is the room actor's
// business.
func (p Principal) CanBid(room Room) error {
	switch {
	case p.Anonymous():
		return fmt.Errorf("bid in room %s: %w", room.ID, ErrUnauthorized)
	case p.Guest && !room.GuestsMayBid:
		return fmt.Errorf("bid in room %s: %w: %w", room.ID, ErrGuestsMayNotBid, ErrForbidden)
	case room.SellerID != "" && p.UserID == room.SellerID:
		return fmt.Errorf("bid in room %s: a seller may not bid in their own show: %w", room.ID, ErrForbidden)
	}
	return nil
}

// CanCommand reports whether p may run room's show (start, pause, end
// lots): its seller or an admin.
func (p Principal) CanCommand(room Room) error {
	switch {
	case p.Anonymous():
		return fmt.Errorf("command room %s: %w", room.ID, ErrUnauthorized)
	case p.sellerOf(room) || p.IsAdmin():
		return nil
	}
	return fmt.Errorf("command room %s: %w", room.ID, ErrForbidden)
}

// CanModerate reports whether p may mute, ban and set slow mode in room:
// its seller or an admin.
func (p Principal) CanModerate(room Room) error {
	switch {
	case p.Anonymous():
		return fmt.Errorf("moderate room %s: %w", room.ID, ErrUnauthorized)
	case p.sellerOf(room) || p.IsAdmin():
		return nil
	}
	return fmt.Errorf("moderate room %s: %w", room.ID, ErrForbidden)
}

// Users is what auth needs from the accounts repository; *storage.Users
// implements it.
type Users interface {
	Upsert(ctx context.Context, u storage.User) (storage.User, error)
	Get(ctx context.Context, id string) (storage.User, error)
	GetByIdentity(ctx context.Context, provider, subject string) (storage.User, error)
	SetRole(ctx context.Context, id, role string) (storage.User, error)
	SetSellerStatus(ctx context.Context, id, status string) (storage.User, error)
}

var _ Users = (*storage.Users)(nil)

// principalOf is the Principal for a stored user.
func (s *Service) principalOf(u storage.User) Principal {
	return Principal{UserID: u.ID, DisplayName: u.DisplayName, Role: u.Role, Guest: u.Provider == GuestProvider}
}
