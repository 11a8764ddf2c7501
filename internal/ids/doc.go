// Package ids is the one place that knows the shape of the IDs Bidcast
// issues: UUIDs in the canonical 8-4-4-4-12 hexadecimal form, made by
// Postgres (gen_random_uuid) or by New.
//
// Every layer that takes an ID from a client checks it with Valid before
// using it, so a malformed ID is simply "not found" or "invalid" rather than
// a database error, and every layer agrees on what counts as an ID. Valid
// accepts either case of hex digit, as Postgres does; IDs we issue are
// lower case.
//
// The functions are pure and safe for concurrent use.
package ids
