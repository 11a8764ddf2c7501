package signaling

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/bidcast/bidcast/storage"
)

// Identity is who is on the other end of a connection, as established once
// at the upgrade.
type Identity struct {
	UserID      string
	DisplayName string
	// Role is the account's role: bidder, seller or admin (see storage).
	Role string
	// Guest marks an account without a login (display name only).
	Guest bool
	// CanBid is false for accounts not yet allowed to bid (no verified
	// payment method, say); they may still watch and chat.
	CanBid bool
}

// Authenticator establishes the identity behind an upgrade request (a
// session cookie, a ticket in the query, ...). It returns an error wrapping
// ErrUnauthorized, or an *Error, when the request carries no valid
// credentials; the client then gets HTTP 401 and no WebSocket.
type Authenticator interface {
	Authenticate(r *http.Request) (Identity, error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(r *http.Request) (Identity, error)

// Authenticate calls f(r).
func (f AuthenticatorFunc) Authenticate(r *http.Request) (Identity, error) { return f(r) }

// DevGuestAuthenticator makes a guest account from ?guest=<name>, for
// development and load tests until real sign-in is wired. It refuses every
// request unless Enabled is set (from Config.DevGuests), so wiring it by
// mistake in production lets nobody in.
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

// originAllowed applies the same rule as websocket.Accept (no Origin, the
// request's own host, or a pattern match) before authentication, so a
// cross-site page cannot make the server do any work, not even create a
// guest account.
func originAllowed(r *http.Request, patterns []string) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(r.Host, u.Host) {
		return true
	}
	for _, p := range patterns {
		target := u.Host
		if strings.Contains(p, "://") {
			target = u.Scheme + "://" + u.Host
		}
		if ok, _ := pathMatch(p, target); ok {
			return true
		}
	}
	return false
}

func pathMatch(pattern, s string) (bool, error) {
	return path.Match(strings.ToLower(pattern), strings.ToLower(s))
}
