package envconf

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Reader reads typed settings through a lookup function and collects the
// problems it finds.
type Reader struct {
	getenv func(string) string
	errs   []error
}

// New returns a Reader over getenv.
func New(getenv func(string) string) *Reader { return &Reader{getenv: getenv} }

// String returns the variable's value as it is, or def when it is unset or
// empty.
func (r *Reader) String(name, def string) string {
	if v := r.getenv(name); v != "" {
		return v
	}
	return def
}

// Bool returns the variable as a boolean: 1, t, true, yes or on, or 0, f,
// false, no or off, in any case; def when unset or empty.
func (r *Reader) Bool(name string, def bool) bool {
	v := r.getenv(name)
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "":
		return def
	case "1", "t", "true", "yes", "on":
		return true
	case "0", "f", "false", "no", "off":
		return false
	}
	r.bad(name, v, "true or false")
	return def
}

// Int returns the variable as a whole number from lo to hi, or def when it
// is unset or empty.
func (r *Reader) Int(name string, def, lo, hi int) int {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		r.bad(name, v, wantRange(int64(lo), int64(hi), math.MaxInt))
		return def
	}
	return n
}

// Cap returns the variable as a per-client cap from 0 to hi, where 0 means
// no cap and reads as -1 (the "no cap" of the limits that take it); so does
// every cap when off is true (a switch such as CLIENT_LIMITS_DISABLED), and
// a malformed value, which Err reports. def is used when the variable is
// unset or empty.
func (r *Reader) Cap(name string, def, hi int, off bool) int {
	n := r.Int(name, def, 0, hi)
	if n == 0 || off {
		return -1
	}
	return n
}

// Size returns the variable as a positive number of bytes, or def when it is
// unset or empty.
func (r *Reader) Size(name string, def int64) int64 {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 {
		r.bad(name, v, "a positive number of bytes")
		return def
	}
	return n
}

// Duration returns the variable as a positive duration such as 30s or 10m,
// or def when it is unset or empty.
func (r *Reader) Duration(name string, def time.Duration) time.Duration {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d <= 0 {
		r.bad(name, v, "a positive duration such as 30s")
		return def
	}
	return d
}

// List returns the variable's comma-separated items, each trimmed, empty
// ones dropped; nil when it is unset or empty.
func (r *Reader) List(name string) []string {
	var out []string
	for _, s := range strings.Split(r.getenv(name), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Fail records a problem the caller found itself (a setting with rules of
// its own); err should name the variable.
func (r *Reader) Fail(err error) {
	if err != nil {
		r.errs = append(r.errs, err)
	}
}

// Err reports every problem found so far, or nil.
func (r *Reader) Err() error { return errors.Join(r.errs...) }

// bad records a value that does not parse, naming the variable.
func (r *Reader) bad(name, v, want string) {
	r.errs = append(r.errs, fmt.Errorf("%s=%q: want %s", name, v, want))
}

// wantRange words the accepted range of a whole number.
func wantRange(lo, hi, unbounded int64) string {
	switch {
	case hi == unbounded && lo == 1:
		return "a positive integer"
	case hi == unbounded:
		return fmt.Sprintf("a whole number of at least %d", lo)
	}
	return fmt.Sprintf("a whole number from %d to %d", lo, hi)
}
