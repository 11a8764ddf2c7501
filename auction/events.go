package auction

import "time"

// Event types, stable strings used on the wire.
const (
	EventLotStarted  = "lot.started"
	EventBidAccepted = "bid.accepted"
	EventBidRejected = "bid.rejected"
	// EventClock reports a deadline change that is not a bid's: pause,
	// resume, or a clock re-armed after a restore. A bid's deadline change
	// travels in its bid.accepted event.
	EventClock      = "clock"
	EventLotClosing = "lot.closing"
	EventLotClosed  = "lot.closed"
	EventModeration = "moderation"
)

// EventSink receives a room's events in order. Emit is called from the
// room's goroutine and must not block: a slow consumer would stall the
// auction. Implementations hand the event to a buffered channel or a
// publisher and drop or flag on overflow; the consumer detects the gap by
// Seq and resynchronizes from a Snapshot.
type EventSink interface {
	Emit(Event)
}

// Event is one thing that happened in a room, flat: Type says which of the
// optional fields are set. It has no wire shape of its own: what clients
// see is package events' rendering of it (PublicEvent). Hidden values (proxy maxima,
// the reserve) never appear in events.
type Event struct {
	// Seq increases by one with each event of the room, starting after
	// Config.EventSeqStart.
	Seq    int64
	Type   string
	RoomID string
	LotID  string
	At     time.Time
	// Currency is the lot's currency (lot events), so a subscriber reporting
	// a result needs nothing but the event.
	Currency string
	// Status is the lot's state after the event.
	Status LotStatus

	// Bid is the bid the event is about (bid.accepted, bid.rejected). For a
	// proxy maximum its Amount is zero: the ceiling is hidden.
	Bid *BidRecord
	// AutoBids are the proxy bids the actor placed in answer (bid.accepted).
	AutoBids []BidRecord
	// Reason is why the bid was rejected (bid.rejected).
	Reason Reason

	// HighBid and LeaderID describe the lead after the event; NextMin is the
	// least next bid.
	HighBid  Money
	LeaderID string
	// PrevLeaderID is who led before the bid (bid.accepted; "" when no one
	// did), so the outbid notice and notification need not track leaders.
	// It never leaves the owner node.
	PrevLeaderID string
	NextMin      Money
	// ReserveMet says whether the price has reached the hidden reserve
	// (the amount stays hidden).
	ReserveMet bool
	// Deadline is the closing time in force; RemainingMS is set instead
	// while paused.
	Deadline    time.Time
	RemainingMS int64

	// Result is how the lot ended (lot.closed).
	Result *LotResult
	// Moderation is the user's new standing (moderation).
	Moderation *ModStatus
}

// publicBid returns b as it may be shown to everyone: a maximum's ceiling
// is hidden.
func publicBid(b BidRecord) BidRecord {
	if b.Kind == KindMax {
		b.Amount.Amount = 0
	}
	return b
}
