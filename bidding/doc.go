// Package bidding is the bid pipeline between the WebSocket gateway and the
// room actor.
//
// A bid goes through three steps:
//
//  1. Ingress (Submit), on whichever node holds the bidder's WebSocket: the
//     bid's shape is checked, and one Lua script on Redis deduplicates it by
//     (bidder, bid_id), takes the room's next ingress sequence number
//     (INCR), stamps the receive time with Redis TIME (never earlier than
//     the room's previous stamp, so receive order is ingress order, whatever
//     node received the bid; the owner judges the deadline, on its own
//     clock, by that stamp, so the nodes' and Redis's clocks must agree, as
//     the nodes' clocks had to when each stamped its own bids), appends the
//     bid to the room's log, schedules the bid's Asynq task on the room's
//     own queue "room:<id>" with TaskID(bidder/bid_id), due two seconds
//     later, and publishes a nudge (the number and the stamp): one round
//     trip. The script writes the task in Asynq's own storage layout
//     (bidtask.go; a test runs it through Asynq). When the node that
//     received the bid holds the room's lease itself, the script publishes
//     nothing and Submit nudges the room's pipeline in the process
//     (localnudge.go), or publishes the nudge if the room turns out not to
//     run there.
//  2. Sequencing, on the node that owns the room (a Redis lease): the room's
//     sequencer applies bids strictly in ingress order, exactly once, in
//     batches (group commit). Woken by a nudge, it takes every bid already
//     sequenced for the room (up to 500) from the log in one script call.
//     Once a batch is committed, the tasks of its bids are removed while
//     still scheduled. The room's own asynq.Server (Concurrency 1, started
//     when the room goes live and stopped when it ends) is the durable
//     backstop: it runs the tasks that come due (a missed nudge, a dead
//     owner, a backlog over two seconds), which apply their bids or, when an
//     earlier batch decided them, complete at once.
//  3. Apply: the room actor decides the batch in ingress order, all as of
//     one instant and each bid by its receive time (auction.Room.DecideBids),
//     and LotStore commits every decision, accepted and rejected, with the
//     lot's final state in one Postgres statement (one commit per batch).
//     Only then are the actor's events emitted: the publisher sends a
//     batch's events (a rejection to its bidder alone) to the room's event
//     log in one pipeline, and the sequencer stores the outcomes and trims
//     the log in one more (riding on its next take when more bids wait). A
//     batch that hits a row storage cannot take (a bid_id the bidder used
//     for another bid, a bidder that does not exist) is decided again with
//     that bid refused; a batch that fails for a reason retrying cannot cure
//     is applied one bid at a time, so a poison bid costs only itself; only
//     transient failures (Postgres or Redis unreachable) are retried, and
//     nothing later in the room is applied meanwhile. Under light load a
//     batch is one bid.
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
// (FenceFrom) that every commit of the room checks (LotStore over
// storage.Lots.Fenced), so an owner that lost its lease cannot commit after
// the next one started: its commit writes nothing and fails with
// storage.ErrFenced, which the pipeline retries (not a poison bid) until
// the node stops the room, and the bid stays in the log for the new owner.
// A commit whose answer is lost (Postgres stored it and went down before
// replying) leaves the actor one version behind the stored lot; the next
// commit of the lot then fails its version check (or finds its bid rows
// stored), and the room asks to be reloaded (LotStore.diverged,
// ErrRoomBroken, RoomsConfig.OnBroken): the node restarts it from Postgres,
// its pipeline resumes after the highest sequence number stored, and no
// bid or close waits on a version that will never come back.
// Background runs the rest of the Asynq work, on queues of its own: a
// close backstop per lot (queue "lots", TaskID per lot and deadline) that
// has the room claimed or restarted if the lot is overdue, and once the
// lot is closed queues its notifications again from the stored result (a
// lot.closed event lost to a crash after the close committed would
// otherwise leave the winner unaware); and won, sold and unsold
// notifications (queue "notify", TaskID per event) stored in Postgres, once
// per key. A bidder's outbid notification needs no task: LotStore stores it
// in the statement that commits the batch of bids that outbid them. Both
// queues, like the lease-expiry index, are named in the deployment's
// namespace (BackgroundConfig.Namespace, NodeConfig.Namespace;
// internal/namespace), so deployments sharing a Redis database never take
// each other's tasks.
//
// A lot whose deadline has passed closes only when its grace has ended
// and the pipeline has decided every bid sequenced by then
// (Pipeline.Drained, the actor's Config.Drained): under a backlog longer
// than the grace, bids received before the deadline are still judged by
// their receive time instead of finding the lot closed.
//
// Stages, when given to the Ingress and the rooms' PipelineConfig, times
// every stage of a bid's way (stages.go) in histograms a metrics collector
// reads at scrape time; the bid path only adds to atomic counters.
//
// Commands runs seller commands and moderation through the room actor, so
// they are ordered with bids; a command for a room that has just gone live
// asks the Node to claim it and waits a bounded time. Refusals are
// CommandErrors whose kind the gateway maps to its protocol codes.
//
// Parking (park.go): a live room with no lot clock running, no bid or
// seller command for ParkConfig.After and nobody present (Presence: no
// publisher, no connection on any node) parks: marked in Postgres by its
// current claim (fenced), stopped, lease released; nodes do not claim
// parked rooms, so no goroutine or poller runs for one. A bid wakes it
// (the ingress script reports a room nobody holds, in the same call), as
// do a seller command and Node.Wake (the gateway's join, WHIP and WHEP):
// the waking node unparks it in Postgres and claims it at once, and its
// pipeline decides the bids sequenced meanwhile by their receive times. A
// room parked for ParkConfig.AbandonAfter is ended by any node's sweep,
// its open lot ended as the seller's lot.end would. When a room ends its
// queue and sequencer keys are removed once every bid is decided
// (DeleteRoomKeys).
package bidding
