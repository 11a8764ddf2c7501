// Package storage keeps Bidcast's durable state in PostgreSQL through pgx/v5:
// users, items and their media, rooms (live shows), lots, bids, lot results and
// chat moderation.
//
// The schema lives in embedded SQL migrations (see migrations/) applied by tern
// at start and by `auctiond migrate`. Money is stored as bigint minor units
// next to a three-letter currency code, never as floating point.
//
// Each repository is a small type over a shared *DB. Callers depend on the
// narrow interfaces they declare themselves; this package asserts that its
// types satisfy them.
//
// A room's batch of decided bids is one statement (Lots.CommitBatch): its
// rows, its lot's new state and the outbid notifications it causes, fenced
// by the room's claim. A CommitGroup sends the batches of a node's rooms
// that are waiting at the same moment in one transaction, so many rooms
// share one commit.
package storage
