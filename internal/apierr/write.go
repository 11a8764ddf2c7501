package apierr

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// body is the envelope of Write: {"error":{"code","message","field"}}.
type body struct {
	Error *Error `json:"error"`
}

// flat is the shape of WriteFlat: {"code","message"}.
type flat struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Write answers with e in the envelope {"error":{"code","message","field"}}
// (field only when set), and Retry-After for a 429 or 503 that has one.
// Callers add their own headers (WWW-Authenticate, Cache-Control) first.
func Write(w http.ResponseWriter, e *Error) {
	retryAfter(w, e)
	WriteJSON(w, e.Status, body{Error: e})
}

// WriteFlat answers with e as {"code","message"}: the shape of the
// WebSocket gateway's refusals before the upgrade (docs/protocol.md).
func WriteFlat(w http.ResponseWriter, e *Error) {
	retryAfter(w, e)
	WriteJSON(w, e.Status, flat{Code: e.Code, Message: e.Message})
}

// retryAfter sets Retry-After when e asks the client to wait.
func retryAfter(w http.ResponseWriter, e *Error) {
	if (e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable) && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
}

// WriteJSON sends v as JSON with the given status. HTML characters are not
// escaped: every answer is typed application/json and marked nosniff, so no
// browser renders it as a page.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
