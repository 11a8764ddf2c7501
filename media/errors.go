package media

import (
	"net/http"

	"github.com/bidcast/bidcast/internal/apierr"
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

// Error is a rejection of an upload or request: the one coded error of
// every HTTP path (internal/apierr), with the status HTTPStatus gives its
// code, one of the Code* constants, and a message fit to show the user.
// The JSON API sends it as it is.
type Error = apierr.Error

// newError returns an *Error with the status of its code.
func newError(code, msg string) *Error { return apierr.New(HTTPStatus(code), code, msg) }

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
