// Package bidding is the bid pipeline between the WebSocket gateway and the
// room actor.
//
// A bid goes through three steps:
//
//  1. Ingress (Submit), on whichever node holds the bidder's WebSocket: the
//     bid's shape is checked, it is stamped with the server receive time, and
//     one Lua script on Redis deduplicates it by (bidder, bid_id), takes the
//     room's next ingress sequence number (INCR), appends the bid to the
//     room's log and publishes a nudge. Then the bid is enqueued as an Asynq
//     task on the room's own queue "room:<id>" with TaskID(bidder/bid_id).
//  2. Sequencing, on the node that owns the room (a Redis lease): the room's
//     sequencer applies bids strictly in ingress order, exactly once. It is
//     woken by the nudge, so a bid does not wait for Asynq's idle poll; the
//     room's own asynq.Server (Concurrency 1, started when the room goes live
//     and stopped when it ends) delivers the same bids as the durable backstop
//     and catches up whatever the nudges missed (a restart, a new owner).
//  3. Apply: the room actor validates the bid and commits the accepted bid
//     with the new lot state in one Postgres transaction; rejected bids are
//     kept in the same audit table with their reason. Only then is the
//     outcome published on the room's Redis channel for every gateway node.
//     A bid that can never be applied (it names a lot that exists nowhere,
//     or data the database refuses) is rejected with a stated reason like
//     any other; only transient failures (Postgres or Redis unreachable) are
//     retried, so a poison bid costs only itself.
//
// Bidding publishes; it does not define what it publishes. The event log,
// the wire types of room events and snapshots and the bidder aliases live
// in package events, which the gateway reads without importing bidding.
// What leaves the owner node is only what each audience may see
// (public.go): the room actor's events and snapshot name bidders by user ID
// and carry bid IDs, so the publisher renders every event per audience
// into those wire types before it reaches the event log. A bid's outcome
// with its bid_id (and a proxy maximum) goes only to its bidder; everyone
// else gets a copy that names bidders by their room alias
// (events.Aliases), shows proxy bids as plain bids and never a maximum.
// The previous leader of a bid.accepted comes from the room actor
// (auction.Event.PrevLeaderID): the publisher sends that user a private
// bid.outbid, and Background notifies them, without tracking leaders.
//
// After an event is in the log the publisher hands the actor's own event
// to RoomsConfig.Subscriber (an events.Subscriber, usually an events.Feed:
// Background, the webhook trigger, the demo's autopilot). It runs on the
// room's publisher goroutine, so subscribers never block.
//
// A bid_id is the client's idempotency key, unique per bidder: the same
// bidder's duplicate returns the original outcome instead of making a second
// bid, another bidder's bid with the same bid_id is a bid of its own, and the
// outcome of any bid can be fetched by its (bidder, bid_id).
//
// Rooms (NewRooms) runs each live room a node owns: the actor restored from
// Postgres, its event publisher and its pipeline; Node claims and renews
// the room leases (lease.go): short leases renewed in one pipelined round
// trip, a lease-expiry index probed so a dead owner's rooms move within
// about 1.5 s, a node restarted with the same NODE_ID taking its own rooms
// back at once, and a fencing token raised in Postgres at each claim
// (FenceFrom, storage.CheckFence) so an owner that lost its lease cannot
// commit after the next one started. Background runs the rest of the Asynq work, on queues of
// its own: a close backstop per lot (queue "lots", TaskID per lot and
// deadline) that does nothing if the lot closed on time and otherwise has
// the room claimed or restarted, and outbid, won, sold and unsold
// notifications (queue "notify", TaskID per event) stored in Postgres.
//
// Commands runs seller commands and moderation through the room actor, so
// they are ordered with bids; a command for a room that has just gone live
// asks the Node to claim it and waits a bounded time. Refusals are
// CommandErrors whose kind the gateway maps to its protocol codes.
package bidding
