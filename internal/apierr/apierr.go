package apierr

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an error a client may see: an HTTP status and a stable code, with
// a human message and, for bad input, the offending field (a JSON path such
// as "increment_table[1].step" or a query parameter name).
type Error struct {
	// Status is the HTTP status the error answers with. Errors that only
	// travel inside the WebSocket protocol leave it zero.
	Status int `json:"-"`
	// Code is stable across releases: clients and tests compare it.
	Code string `json:"code"`
	// Message is for people and may change.
	Message string `json:"message"`
	// Field names the offending input, if one is to blame.
	Field string `json:"field,omitempty"`
	// RetryAfter, in whole seconds, is sent as Retry-After with a 429 or
	// a 503 when positive.
	RetryAfter int `json:"-"`
}

// Error formats the code, message and field, for logs and tests.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return e.Code + ": " + e.Message
}

// New returns an *Error with a status, code and message.
func New(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// WithField returns a copy of e that blames field.
func (e *Error) WithField(field string) *Error {
	c := *e
	c.Field = field
	return &c
}

// WithRetryAfter returns a copy of e that asks the client to wait seconds
// (at least 1) before trying again.
func (e *Error) WithRetryAfter(seconds int) *Error {
	c := *e
	c.RetryAfter = max(seconds, 1)
	return &c
}

// As finds the *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// Internal is what a client sees for any failure that is not its own: the
// Go error behind it is logged, never sent.
var Internal = New(http.StatusInternalServerError, "internal", "internal error")
