// Package apierr is the one coded error a client of Bidcast sees over HTTP,
// and the one place that writes it as JSON.
//
// An *Error carries an HTTP status, a stable code that clients branch on, a
// message for people, and optionally the offending field and a Retry-After.
// The JSON API, auth, media and the WebSocket gateway's pre-upgrade refusals
// all use this type; each package keeps its own sentinel values (auth's
// ErrForbidden, api's errNotFound) as values of it. Go error text never
// reaches a client: writers send only the code, message and field.
//
// Two wire shapes exist and are both part of the public contract:
// Write sends {"error":{"code","message","field"}} (the JSON API and auth,
// field omitted when empty); WriteFlat sends {"code","message"} (the
// WebSocket upgrade's refusals, docs/protocol.md). Neither shape may change.
//
// Values are immutable once made and safe to share between goroutines;
// sentinels are package variables that nobody mutates.
package apierr
