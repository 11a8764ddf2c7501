// Package auction is Bidcast's auction engine: the pure domain of rooms,
// lots, bids, money, increment tables and clock policies, and the room actor
// that applies them.
//
// # The room actor
//
// A Room is one live show: one seller and an ordered series of lots, one of
// them live at a time. Everything that changes a room — bids, proxy maxima,
// seller commands (start, pause, resume, end early, skip, relist) and
// moderation (mute, ban, slow mode) — is a command sent to the room's single
// goroutine, [Room.Run]. That goroutine alone owns the lot state and the
// lot's timer, so ticking, shortening the clock and closing can never race:
// they are serialized with the bids that cause them.
//
// Bids arrive already stamped by the gateway with the server receive time
// and a per-room ingress sequence; the actor never stamps. A bid is accepted
// only if it was received at or before the deadline in force when it is
// applied. When the deadline passes the lot enters the closing state for a
// short grace so that bids received in time but still in flight are applied,
// and then closes; with Config.Drained set (the bid pipeline sets it), the
// close also waits until every bid received before the deadline has reached
// the room, so a backlog longer than the grace loses none of them. A clock policy reacts to a bid as of the bid's receive
// time, so the deadline depends only on the ingress order of bids, never on
// how late they are applied; a bid applied in the grace that extends the
// clock past the present reopens the lot.
//
// # Persistence and events
//
// Before the actor tells anyone how a bid was decided or that a lot closed,
// it commits the change through [Store]. Bids are decided in batches
// ([Room.DecideBids]; PlaceBid and SetMaxBid are batches of one): the actor
// judges each bid in ingress order, all as of one instant and each by its
// receive time, and commits every decision, accepted and rejected, with the
// lot's final state in one [Store.CommitBatch]. If the commit fails every
// bid of the batch is rejected with [ReasonUnavailable] and the in-memory
// state is left exactly as it was. Each committed change bumps
// [LotState.Version] (once per batch) so a database store can check it
// optimistically. After the commit the actor emits an [Event] to an
// [EventSink], a batch's events in ingress order; every event of a room
// carries a strictly increasing Seq.
//
// # Time
//
// The package never reads the wall clock except in [SystemClock]. Tests and
// other packages drive time with [FakeClock] or testing/synctest.
//
// # Money
//
// Amounts are int64 minor units with an ISO 4217 currency code ([Money]);
// floating point never touches a price. Arithmetic is checked so that huge
// amounts are refused instead of wrapping.
//
// # No wire format
//
// The types carry no JSON names: package events renders events and
// snapshots into its wire types (events.PublicEvent, events.Money), and
// storage's rows are storage's own, the JSON documents in a lot's columns
// included (storage.IncrementBand, storage.PolicyTier, storage.ProxyMax,
// which bidding converts to and from Band, Tier and ProxyMax).
package auction
