package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/bidcast/bidcast/internal/apierr"
	"github.com/bidcast/bidcast/internal/depfail"
	"github.com/bidcast/bidcast/storage"
)

// Error is an error a client sees: the one coded error of every HTTP path
// (internal/apierr), with a status, a stable code, a message and, for bad
// input, the offending field (a JSON path such as "increment_table[1].step"
// or a query parameter name).
type Error = apierr.Error

// Errors shared by many handlers.
var (
	errUnauthorized = &Error{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "sign in first"}
	errNotFound     = &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no such resource"}
)

// invalid is a 422 for a well-formed body whose field breaks a rule.
func invalid(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid_field", Field: field,
		Message: fmt.Sprintf(format, args...)}
}

// badParam is a 400 for a malformed query or path parameter.
func badParam(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_parameter", Field: field,
		Message: fmt.Sprintf(format, args...)}
}

// conflict is a 409: the request is fine but the resource's state forbids it.
func conflict(format string, args ...any) *Error {
	return &Error{Status: http.StatusConflict, Code: "conflict", Message: fmt.Sprintf(format, args...)}
}

// writeError answers err. Client errors are sent as they are; storage
// sentinels are mapped once here; anything else is logged and hidden behind
// a 500, because Go messages are not a client contract.
func writeError(w http.ResponseWriter, log *slog.Logger, r *http.Request, err error) {
	var e *Error
	switch {
	case depfail.IsUnavailable(err):
		// First, so that an outage reads the same whoever reported it:
		// auth's own coded ErrUnavailable wraps the failure too.
		log.Warn("api request failed: dependency unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		e = &Error{Status: http.StatusServiceUnavailable, Code: "unavailable",
			Message: "the server cannot reach its database right now; try again", RetryAfter: 1}
	case errors.As(err, &e):
	case errors.Is(err, storage.ErrNotFound):
		e = errNotFound
	case errors.Is(err, storage.ErrConflict):
		e = conflict("the resource changed or is in a state that forbids this; reload it")
	case errors.Is(err, storage.ErrInvalid):
		e = &Error{Status: http.StatusUnprocessableEntity, Code: "invalid_field", Message: "a value breaks a rule of the schema"}
	default:
		// The route pattern, not the path: a path may carry a token.
		log.Error("api request failed", "route", r.Pattern, "err", err)
		e = apierr.Internal
	}
	apierr.Write(w, e)
}

// writeJSON sends v with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) { apierr.WriteJSON(w, status, v) }
