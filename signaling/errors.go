package signaling

import (
	"errors"

	"github.com/bidcast/bidcast/internal/apierr"
	"github.com/bidcast/bidcast/internal/depfail"
)

// Error codes sent to clients in error messages. They are part of protocol
// v1: clients switch on them, so a code is never renamed or reused. Each is
// described in docs/protocol.md.
const (
	CodeBadRequest       = "bad_request"
	CodeUnknownType      = "unknown_type"
	CodeUnsupported      = "unsupported_version"
	CodeTooLarge         = "too_large"
	CodeRateLimited      = "rate_limited"
	CodeUnauthorized     = "unauthorized"
	CodeForbidden        = "forbidden"
	CodeOriginRejected   = "origin_rejected"
	CodeRoomNotFound     = "room_not_found"
	CodeRoomNotLive      = "room_not_live"
	CodeNotJoined        = "not_joined"
	CodeInvalidBid       = "invalid_bid"
	CodeInvalidChat      = "invalid_chat"
	CodeMuted            = "muted"
	CodeBanned           = "banned"
	CodeSlowMode         = "slow_mode"
	CodeMediaUnavailable = "media_unavailable"
	CodeUnknownSession   = "unknown_session"
	CodeConflict         = "conflict"
	CodeUnavailable      = "unavailable"
	CodeInternal         = "internal"
)

// Error is an error with a stable client-facing code: the one coded error
// of every path (internal/apierr). Dependencies return it (the Commander,
// the Media implementation) when the client should learn why; any other
// error reaches the client as "internal" and is logged. Errors that travel
// inside the protocol's error message leave Status zero.
type Error = apierr.Error

// Errorf is a shorthand for an *Error with a code and message.
func Errorf(code, message string) *Error { return apierr.New(0, code, message) }

// Sentinel errors for dependencies to return or wrap.
var (
	// ErrRoomNotFound is what a RoomLookup returns (or wraps) for an
	// unknown room.
	ErrRoomNotFound = errors.New("room not found")
	// ErrUnauthorized is what an Authenticator returns (or wraps) when the
	// request carries no valid credentials.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrUnknownSession is what Media returns (or wraps) for a session ID
	// it does not know.
	ErrUnknownSession = errors.New("unknown media session")
)

// classify maps err to the code and message a client sees. internal reports
// whether the error is ours (to be logged) rather than the client's.
func classify(err error) (code, message string, internal bool) {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Code, e.Message, false
	case errors.Is(err, ErrRoomNotFound):
		return CodeRoomNotFound, "no such room", false
	case errors.Is(err, ErrUnauthorized):
		return CodeUnauthorized, "sign in first", false
	case errors.Is(err, ErrUnknownSession):
		return CodeUnknownSession, "no such media session on this connection", false
	case depfail.IsUnavailable(err):
		// Postgres or Redis is down or slow: the client retries (a bid with
		// the same bid_id), as the protocol promises for this code.
		return CodeUnavailable, "the server cannot reach its database right now; try again", true
	}
	return CodeInternal, "internal error", true
}

// CodeTooManyConnections refuses a WebSocket upgrade (HTTP 429) from a user
// or an address that already holds its maximum of open connections
// (Config.ConnsPerUser, Config.ConnsPerAddr). It is part of protocol v1.
const CodeTooManyConnections = "too_many_connections"
