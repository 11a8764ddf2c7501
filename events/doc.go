// Package events is the page every floor above the room actor shares: the
// events a room emits, their wire schema, the event log, and the shape of
// an in-process subscriber. It holds types and interfaces only (with the
// Redis implementation of the log), so the bid pipeline that publishes
// events and the gateway, notifications, webhooks and demo that consume
// them never import each other. It imports only auction (and go-redis).
//
// Two views of a room's events exist:
//
//   - Event, in the Log, is what leaves the room's owner node: numbered by
//     Redis (Seq is gap-free and keeps rising across restarts and owners, and
//     a node numbers above every seq it has seen should Redis lose writes),
//     addressed to everyone, to one user (To) or to everyone but one
//     (Except), its Data one of the wire types of wire.go (PublicEvent,
//     or PublicSnapshot for room.state) as the owner rendered it for that
//     audience, or a chat message the gateway published. The gateways relay
//     it to clients unchanged; docs/protocol.md documents these types
//     field by field, and they are the protocol's source of truth for room
//     events and snapshots.
//   - auction.Event, given to a Subscriber on the owner node after the event
//     is in the Log, keeps user IDs and carries the previous leader of a
//     bid.accepted, so no subscriber re-derives who led before.
//
// Bidders are named on the wire by their room alias (Aliases), never by
// user ID.
//
// RedisLog is safe for concurrent use. Its keys share the room's hash tag
// {id}: the counter ("evseq"), the capped stream ("evlog", entry IDs
// "<seq>-0", about Retention entries), the snapshot, and the pub/sub
// channel (Channel); one Lua script writes all four, so a snapshot is never
// older than the events after it.
package events
