package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/bidcast/bidcast/internal/depfail"
	"github.com/bidcast/bidcast/storage"
)

// Error is an error a client sees: an HTTP status and a stable code, with a
// human message and, for bad input, the offending field (a JSON path such
// as "increment_table[1].step" or a query parameter name).
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// RetryAfter, in seconds, is sent as Retry-After with a 429.
	RetryAfter int `json:"-"`
}

// Error formats the status, code and message, for logs and tests.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%d %s: %s (%s)", e.Status, e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

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

// errorBody is the JSON envelope of every error.
type errorBody struct {
	Error *Error `json:"error"`
}

// writeError answers err. Client errors are sent as they are; storage
// sentinels are mapped once here; anything else is logged and hidden behind
// a 500, because Go messages are not a client contract.
func writeError(w http.ResponseWriter, log *slog.Logger, r *http.Request, err error) {
	var e *Error
	switch {
	case errors.As(err, &e):
	case errors.Is(err, storage.ErrNotFound):
		e = errNotFound
	case errors.Is(err, storage.ErrConflict):
		e = conflict("the resource changed or is in a state that forbids this; reload it")
	case errors.Is(err, storage.ErrInvalid):
		e = &Error{Status: http.StatusUnprocessableEntity, Code: "invalid_field", Message: "a value breaks a rule of the schema"}
	case depfail.IsUnavailable(err):
		log.Warn("api request failed: dependency unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		e = &Error{Status: http.StatusServiceUnavailable, Code: "unavailable",
			Message: "the server cannot reach its database right now; try again", RetryAfter: 1}
	default:
		log.Error("api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		e = &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}
	}
	if (e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable) && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	writeJSON(w, e.Status, errorBody{Error: e})
}

// writeJSON sends v with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
