package sfu

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel errors returned by Server methods and Authorizers. The HTTP handler
// maps each to one status code (see httpStatus), so callers can rely on
// errors.Is instead of parsing messages.
var (
	// ErrUnauthorized means the request carried no credentials or unusable
	// ones (HTTP 401).
	ErrUnauthorized = errors.New("sfu: unauthorized")
	// ErrForbidden means the credentials are valid but do not allow the
	// operation on this room (HTTP 403).
	ErrForbidden = errors.New("sfu: forbidden")
	// ErrRoomNotFound means the room does not exist (HTTP 404).
	ErrRoomNotFound = errors.New("sfu: room not found")
	// ErrNotLive means the room has no publisher, so there is nothing to view
	// (HTTP 404).
	ErrNotLive = errors.New("sfu: room is not live")
	// ErrPublisherExists means another publisher is already live in the room
	// (HTTP 409).
	ErrPublisherExists = errors.New("sfu: room already has a publisher")
	// ErrSessionNotFound means the session ID is unknown or already closed
	// (HTTP 404).
	ErrSessionNotFound = errors.New("sfu: session not found")
	// ErrBadOffer means the SDP offer could not be parsed or applied
	// (HTTP 400).
	ErrBadOffer = errors.New("sfu: bad SDP offer")
	// ErrCodecMismatch means the two sides share no usable codec. It is
	// usually wrapped in a *CodecMismatchError that says which (HTTP 406).
	ErrCodecMismatch = errors.New("sfu: codec mismatch")
	// ErrTooManySessions means Config.MaxViewers or Config.MaxPublishers
	// would be exceeded (HTTP 503).
	ErrTooManySessions = errors.New("sfu: too many sessions")
	// ErrTooManyRequests means a per-client limit refused the request; it
	// is usually wrapped in a *LimitError that says when to retry (HTTP 429).
	ErrTooManyRequests = errors.New("sfu: too many requests")
	// ErrClosed means the server is shutting down (HTTP 503).
	ErrClosed = errors.New("sfu: server closed")
	// ErrInvalidConfig is wrapped by Config.Validate failures.
	ErrInvalidConfig = errors.New("sfu: invalid config")
)

// CodecMismatchError tells a viewer which codec the publisher sends that the
// viewer's offer cannot decode. It matches ErrCodecMismatch with errors.Is.
type CodecMismatchError struct {
	Kind      string // "video" or "audio"
	Publisher string // e.g. "video/H264 profile-level-id=42e01f"
	Offered   []string
}

// Error implements error.
func (e *CodecMismatchError) Error() string {
	return fmt.Sprintf("sfu: codec mismatch: the publisher sends %s %s but the offer only accepts %v",
		e.Kind, e.Publisher, e.Offered)
}

// Is reports whether target is ErrCodecMismatch.
func (e *CodecMismatchError) Is(target error) bool { return target == ErrCodecMismatch }

// LimitError is what an Admission returns to refuse a client over one of
// its limits: the handler answers 429 with Reason and a Retry-After of
// RetryAfter (rounded up to whole seconds, at least one). It matches
// ErrTooManyRequests with errors.Is.
type LimitError struct {
	Reason     string
	RetryAfter time.Duration
}

// Error implements error.
func (e *LimitError) Error() string { return "sfu: too many requests: " + e.Reason }

// Is reports whether target is ErrTooManyRequests.
func (e *LimitError) Is(target error) bool { return target == ErrTooManyRequests }
