package media

import (
	"errors"
	"net/http"
)

// Stable error codes, sent to clients in {"error":{"code",...}}.
const (
	CodeUnsupportedType = "unsupported_type"
	CodeTooLarge        = "too_large"
	CodeImageTooBig     = "image_too_big"
	CodeNotFound        = "not_found"
	CodeInvalidFile     = "invalid_file"
	// CodeQuotaExceeded refuses an upload that would take the item's
	// seller past their number of files or bytes (Config.QuotaFiles,
	// QuotaBytes); deleting media frees room.
	CodeQuotaExceeded = "quota_exceeded"
	// CodeVideoTooLong is the failure reason of a video longer than
	// Config.MaxVideoLength, found by the worker before transcoding.
	CodeVideoTooLong = "video_too_long"
)

// Error is a rejection of an upload or request, with a stable code and a
// message fit to show the user.
type Error struct {
	// Code is one of the Code* constants.
	Code string
	// Message explains the rejection in plain words.
	Message string
}

// Error implements error.
func (e *Error) Error() string { return "media: " + e.Code + ": " + e.Message }

// newError returns an *Error.
func newError(code, msg string) *Error { return &Error{Code: code, Message: msg} }

// CodeOf returns the code of the *Error in err's chain, or "" if none.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// HTTPStatus maps an error code to the status an API answers with.
func HTTPStatus(code string) int {
	switch code {
	case CodeUnsupportedType:
		return http.StatusUnsupportedMediaType
	case CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeImageTooBig, CodeInvalidFile, CodeVideoTooLong:
		return http.StatusUnprocessableEntity
	case CodeQuotaExceeded:
		return http.StatusConflict
	case CodeNotFound:
		return http.StatusNotFound
	case "":
		return http.StatusInternalServerError
	default:
		return http.StatusBadRequest
	}
}
