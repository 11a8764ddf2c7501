package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// decode reads r's body as one JSON object into dst. It refuses a body that
// is not JSON, larger than the configured bound, has fields dst does not
// know, or carries anything after the object. Numbers are decoded with
// UseNumber and land in int64 fields, so an amount such as 10.5 or 1e3 is
// refused rather than rounded: money never passes through a float.
func (s *server) decode(w http.ResponseWriter, r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
				Message: "send the body as application/json"}
		}
	}
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err, s.cfg.MaxBodyBytes)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return decodeError(err, s.cfg.MaxBodyBytes)
		}
		return &Error{Status: http.StatusBadRequest, Code: "invalid_json", Message: "the body holds more than one JSON value"}
	}
	return nil
}

// decodeError turns what encoding/json reports into a client error that
// names the field when it can.
func decodeError(err error, limit int64) error {
	var (
		maxErr    *http.MaxBytesError
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &maxErr):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large",
			Message: fmt.Sprintf("the body is larger than %d bytes", limit)}
	case errors.Is(err, io.EOF):
		return &Error{Status: http.StatusBadRequest, Code: "invalid_json", Message: "the body is empty"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Status: http.StatusBadRequest, Code: "invalid_json", Message: "the body ends in the middle of a JSON value"}
	case errors.As(err, &syntaxErr):
		return &Error{Status: http.StatusBadRequest, Code: "invalid_json",
			Message: fmt.Sprintf("malformed JSON at byte %d", syntaxErr.Offset)}
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return &Error{Status: http.StatusBadRequest, Code: "invalid_json", Message: "the body must be a JSON object"}
		}
		what := "a " + typeErr.Type.String()
		if strings.HasPrefix(typeErr.Type.String(), "int") {
			what = "an integer (money is in minor units: no fraction, no exponent)"
		}
		return invalid(typeErr.Field, "must be %s, not %s", what, typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &Error{Status: http.StatusBadRequest, Code: "unknown_field", Field: field,
			Message: fmt.Sprintf("unknown field %q", field)}
	}
	return &Error{Status: http.StatusBadRequest, Code: "invalid_json", Message: "the body is not valid JSON"}
}

// checkText validates a free-text field: valid UTF-8, no control characters
// other than newlines and tabs, and a length in characters between lo and hi.
func checkText(field, v string, lo, hi int) error {
	if !utf8.ValidString(v) {
		return invalid(field, "must be valid UTF-8")
	}
	n := utf8.RuneCountInString(v)
	if n < lo || n > hi {
		if lo > 0 {
			return invalid(field, "must be %d to %d characters", lo, hi)
		}
		return invalid(field, "must be at most %d characters", hi)
	}
	if lo > 0 && strings.TrimSpace(v) == "" {
		return invalid(field, "must not be blank")
	}
	for _, c := range v {
		if c < 0x20 && c != '\n' && c != '\t' && c != '\r' || c == 0x7f {
			return invalid(field, "must not contain control characters")
		}
	}
	return nil
}

// itoa formats a small index for field paths.
func itoa(i int) string { return strconv.Itoa(i) }
