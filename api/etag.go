package api

import (
	"net/http"
	"strconv"
	"strings"
)

// etag is the entity tag of a row at a version. Every writable resource
// carries a version that each change increments, so the tag is exact and
// costs nothing to compute.
func etag(version int64) string { return `"v` + strconv.FormatInt(version, 10) + `"` }

// setETag sends the tag of the version being returned.
func setETag(w http.ResponseWriter, version int64) { w.Header().Set("ETag", etag(version)) }

// ifMatch returns the version the client says it is changing, from the
// If-Match header, checked against the current one. Updates require the
// header (428 without it): an edit made without having read the resource
// would overwrite changes its author never saw. A tag that is not the
// current one is 412; "*" means "whatever is current". The returned version
// goes into the conditional UPDATE so a change that slips in between this
// check and the write is caught by the database as well.
func ifMatch(r *http.Request, current int64) (int64, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" {
		return 0, &Error{Status: http.StatusPreconditionRequired, Code: "precondition_required",
			Message: "send If-Match with the ETag you read"}
	}
	if h == "*" {
		return current, nil
	}
	want := etag(current)
	for _, tag := range strings.Split(h, ",") {
		if strings.TrimSpace(tag) == want {
			return current, nil
		}
	}
	return 0, errStale
}

// optionalIfMatch is ifMatch for actions (delete, end) where a missing
// header is allowed: they do not overwrite fields, but a client that does
// send a tag still gets the check.
func optionalIfMatch(r *http.Request, current int64) error {
	if r.Header.Get("If-Match") == "" {
		return nil
	}
	_, err := ifMatch(r, current)
	return err
}

// errStale answers a write based on an old version.
var errStale = &Error{Status: http.StatusPreconditionFailed, Code: "precondition_failed",
	Message: "the resource changed since you read it; reload and retry"}
