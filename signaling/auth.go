package signaling

import (
	"net/http"
	"net/url"
	"path"
	"strings"
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
