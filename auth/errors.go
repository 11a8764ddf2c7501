package auth

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/bidcast/bidcast/internal/apierr"
)

// Error is a failure a client may see: the one coded error of every HTTP
// path (internal/apierr), with an HTTP status, a stable code that clients
// branch on, and a human message. Go error text never reaches a client;
// handlers map every error to one of these at the edge.
type Error = apierr.Error

// Sentinels. Wrap them with fmt.Errorf("...: %w", ErrX) to add detail for
// logs; errors.Is still finds them, and WriteError answers with their code.
var (
	// ErrUnauthorized means no credentials were presented. Callers that
	// allow anonymous access (public pages) treat it as "nobody".
	ErrUnauthorized = apierr.New(http.StatusUnauthorized, "unauthorized", "sign in first")
	// ErrInvalidToken means credentials were presented but are forged,
	// malformed, for another purpose, or revoked.
	ErrInvalidToken = apierr.New(http.StatusUnauthorized, "invalid_token", "invalid credentials")
	// ErrTokenExpired means a token was genuine but is past its expiry; the
	// client should refresh.
	ErrTokenExpired = apierr.New(http.StatusUnauthorized, "token_expired", "credentials expired; refresh them")
	// ErrTokenReused means a refresh token that was already rotated came
	// back: someone holds a stolen copy, so its whole family is revoked.
	ErrTokenReused = apierr.New(http.StatusUnauthorized, "token_reused", "this session was revoked; sign in again")
	// ErrForbidden means the caller is known but may not do this.
	ErrForbidden = apierr.New(http.StatusForbidden, "forbidden", "not allowed")
	// ErrGuestsMayNotBid means a guest tried to bid in a room that does
	// not take guest bids. Its code is forbidden; the message says why.
	ErrGuestsMayNotBid = apierr.New(http.StatusForbidden, "forbidden", "guests may not bid in this room; sign in with an account to bid")
	// ErrCrossOrigin means a state-changing request came from another site.
	ErrCrossOrigin = apierr.New(http.StatusForbidden, "cross_origin", "cross-origin request refused")
	// ErrRateLimited means the caller spent its budget; see RateLimitError.
	ErrRateLimited = apierr.New(http.StatusTooManyRequests, "rate_limited", "too many requests; retry after the time in Retry-After")
	// ErrInvalidState means an OAuth callback's state is missing, does not
	// match the browser's state cookie, has expired or was already used.
	ErrInvalidState = apierr.New(http.StatusBadRequest, "invalid_state", "the sign-in attempt expired or was already used; start again")
	// ErrUnknownProvider means the named identity provider is not enabled.
	ErrUnknownProvider = apierr.New(http.StatusNotFound, "unknown_provider", "no such sign-in provider")
	// ErrProvider means the identity provider refused or failed the login.
	ErrProvider = apierr.New(http.StatusBadGateway, "provider_error", "the sign-in provider did not complete the login")
	// ErrInvalidName means a display name is empty, too long or holds
	// control characters.
	ErrInvalidName = apierr.New(http.StatusBadRequest, "invalid_name", "display name must be 1 to 32 characters without control characters")
	// ErrBadRequest means a malformed request body or parameter.
	ErrBadRequest = apierr.New(http.StatusBadRequest, "bad_request", "malformed request")
	// ErrNotFound means a user or room named in the request does not exist.
	ErrNotFound = apierr.New(http.StatusNotFound, "not_found", "not found")
	// ErrNotApplied means an admin approved a user who has not applied to sell.
	ErrNotApplied = apierr.New(http.StatusConflict, "not_applied", "this user has not applied to sell")
	// ErrUnavailable means a backing service (Redis, Postgres) failed.
	ErrUnavailable = apierr.New(http.StatusServiceUnavailable, "unavailable", "try again shortly")
)

// RateLimitError is ErrRateLimited with the time until the budget refills.
type RateLimitError struct {
	// RetryAfter is in whole seconds, at least 1.
	RetryAfter int
}

// Error implements error.
func (e *RateLimitError) Error() string {
	return ErrRateLimited.Error() + " (" + strconv.Itoa(e.RetryAfter) + "s)"
}

// Is makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// asError finds the client-facing Error in err's chain. Anything else is an
// internal failure whose text must not leak.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, ErrRateLimited) {
		return ErrRateLimited
	}
	return apierr.New(http.StatusInternalServerError, "internal", "internal error")
}

// WriteError answers with err's status and the JSON body
// {"error":{"code":"...","message":"..."}}, and Retry-After for rate
// limits. It writes only the stable code and message, never err's text,
// which may hold internal detail.
func WriteError(w http.ResponseWriter, err error) {
	e := asError(err)
	var rl *RateLimitError
	if errors.As(err, &rl) {
		e = e.WithRetryAfter(rl.RetryAfter)
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="bidcast"`)
	}
	w.Header().Set("Cache-Control", "no-store")
	apierr.Write(w, e)
}

// writeJSON answers with v as JSON. Responses from auth never belong in a
// shared cache: they carry who the caller is.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	apierr.WriteJSON(w, status, v)
}
