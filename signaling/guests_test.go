package signaling

import (
	"fmt"
	"net/http"
	"unicode"
	"unicode/utf8"

	"github.com/bidcast/bidcast/storage"
)

// DevGuestAuthenticator makes a guest account from ?guest=<name>: the
// tests' sign-in (the server signs people in through auth). It refuses
// every request unless Enabled is set.
type DevGuestAuthenticator struct {
	Users   *storage.Users
	Enabled bool
}

// maxGuestName bounds a guest's display name in runes.
const maxGuestName = 32

// Authenticate upserts the guest user (provider "guest", subject the name),
// so the same name is the same user across reconnects.
func (a DevGuestAuthenticator) Authenticate(r *http.Request) (Identity, error) {
	if !a.Enabled {
		return Identity{}, fmt.Errorf("guest sign-in is disabled: %w", ErrUnauthorized)
	}
	name := r.URL.Query().Get("guest")
	if !validGuestName(name) {
		return Identity{}, fmt.Errorf("guest name must be 1 to %d letters, digits, '-', '_' or '.': %w",
			maxGuestName, ErrUnauthorized)
	}
	u, err := a.Users.Upsert(r.Context(), storage.User{Provider: "guest", Subject: name, DisplayName: name,
		Role: storage.RoleBidder})
	if err != nil {
		return Identity{}, fmt.Errorf("upsert guest %q: %w", name, err)
	}
	return Identity{UserID: u.ID, DisplayName: u.DisplayName, Role: u.Role, Guest: true, CanBid: true}, nil
}

func validGuestName(name string) bool {
	n := utf8.RuneCountInString(name)
	if n == 0 || n > maxGuestName || !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' && r != '.' {
			return false
		}
	}
	return true
}
