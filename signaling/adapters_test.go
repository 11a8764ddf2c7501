package signaling

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/bidcast/bidcast/auth"
	"github.com/bidcast/bidcast/sfu"
)

// AuthenticatorFunc adapts a function to Authenticator, for tests that
// name their callers themselves.
type AuthenticatorFunc func(r *http.Request) (Identity, error)

// Authenticate calls f(r).
func (f AuthenticatorFunc) Authenticate(r *http.Request) (Identity, error) { return f(r) }

// TestAdapterErrorCodes holds the SFU's and auth's errors to the protocol
// codes clients see, wrapped as the packages wrap them.
func TestAdapterErrorCodes(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("some step: %w", err) }
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"bad offer", mediaError(wrap(sfu.ErrBadOffer)), CodeBadRequest},
		{"codec", mediaError(wrap(sfu.ErrCodecMismatch)), CodeBadRequest},
		{"not live", mediaError(wrap(sfu.ErrNotLive)), CodeConflict},
		{"no room", mediaError(sfu.ErrRoomNotFound), CodeConflict},
		{"publisher exists", mediaError(sfu.ErrPublisherExists), CodeConflict},
		{"full", mediaError(sfu.ErrTooManySessions), CodeConflict},
		{"no session", mediaError(wrap(sfu.ErrSessionNotFound)), CodeUnknownSession},
		{"closed", mediaError(sfu.ErrClosed), CodeUnavailable},
		{"banned", identityError(wrap(auth.ErrBanned)), CodeBanned},
		{"gone", identityError(wrap(auth.ErrNotFound)), CodeUnauthorized},
		{"store down", identityError(wrap(auth.ErrUnavailable)), CodeUnavailable},
		{"sign-in down", authError(wrap(auth.ErrUnavailable)), CodeUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e *Error
			if !errors.As(tc.err, &e) || e.Code != tc.want {
				t.Fatalf("err = %v, want code %s", tc.err, tc.want)
			}
		})
	}
	if err := authError(auth.ErrUnauthorized); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("bad credentials = %v, want ErrUnauthorized (HTTP 401)", err)
	}
	if mediaError(nil) != nil {
		t.Error("mediaError(nil) is not nil")
	}
}

// TestAuthServiceCanBid is auth's rule in the gateway's codes: a guest in a
// room without guest bids is forbidden, with auth's reason.
func TestAuthServiceCanBid(t *testing.T) {
	guest := Identity{UserID: "u1", DisplayName: "Guest", Role: "bidder", Guest: true, CanBid: true}
	var e *Error
	if err := (AuthService{}).CanBid(guest, RoomInfo{ID: "r1", SellerID: "s1"}); !errors.As(err, &e) || e.Code != CodeForbidden {
		t.Fatalf("guest bid where guests may not bid: %v, want %s", err, CodeForbidden)
	}
	if err := (AuthService{}).CanBid(guest, RoomInfo{ID: "r1", SellerID: "s1", GuestsMayBid: true}); err != nil {
		t.Fatalf("guest bid where guests may bid: %v", err)
	}
}
