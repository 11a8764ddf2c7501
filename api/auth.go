package api

import (
	"errors"
	"net/http"
)

// Roles a Principal can hold, as stored on users.
const (
	RoleBidder = "bidder"
	RoleSeller = "seller"
	RoleAdmin  = "admin"
)

// Principal is who is calling. The zero Principal is an anonymous caller,
// who may read public data only.
type Principal struct {
	// UserID is the caller's users.id.
	UserID string
	// DisplayName is the name shown to others in chat (bid histories name
	// bidders by their room alias instead).
	DisplayName string
	// Role is RoleBidder, RoleSeller or RoleAdmin.
	Role string
	// Guest marks a bidder without an account at an identity provider;
	// guests may bid but never sell.
	Guest bool
}

// Anonymous reports whether nobody is signed in.
func (p Principal) Anonymous() bool { return p.UserID == "" }

// Admin reports whether the caller may act on anyone's resources.
func (p Principal) Admin() bool { return p.UserID != "" && p.Role == RoleAdmin && !p.Guest }

// CanSell reports whether the caller may keep a catalogue and run shows.
func (p Principal) CanSell() bool {
	return p.UserID != "" && !p.Guest && (p.Role == RoleSeller || p.Role == RoleAdmin)
}

// Owns reports whether the caller may change a resource belonging to
// ownerID: its owner, or an admin.
func (p Principal) Owns(ownerID string) bool {
	return p.UserID != "" && (p.UserID == ownerID || p.Admin())
}

// Authenticator tells who made a request. It returns the zero Principal and
// nil for a request without credentials, and ErrUnauthenticated (or an
// error wrapping it) for credentials that are present but invalid or
// expired, which the API answers with 401 rather than treating the caller as
// anonymous.
type Authenticator interface {
	Authenticate(r *http.Request) (Principal, error)
}

// ErrUnauthenticated is what an Authenticator returns for bad credentials.
var ErrUnauthenticated = errors.New("api: invalid credentials")

// access is what a route demands of its caller.
type access int

const (
	// public routes serve anyone, anonymous included; the handler still
	// hides what the caller may not see.
	public access = iota
	// signedIn routes need a user (a guest is enough).
	signedIn
	// seller routes need a seller or an admin.
	seller
	// admin routes need an admin.
	admin
)

// authorize checks a caller against a route's demand.
func authorize(p Principal, need access) error {
	switch {
	case need == public:
		return nil
	case p.Anonymous():
		return errUnauthorized
	case need == seller && !p.CanSell():
		return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: "only sellers may do this"}
	case need == admin && !p.Admin():
		return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: "only admins may do this"}
	}
	return nil
}
