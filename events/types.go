package events

// Event types the bid pipeline adds to the room actor's own (auction's
// Event* constants); all of them travel as Event.Type.
const (
	// TypeBidOutbid is private to the bidder who just lost the lead.
	TypeBidOutbid = "bid.outbid"
	// TypeRoomState carries a fresh snapshot after the owner node had to
	// drop events (its buffer overflowed); clients redraw from it.
	TypeRoomState = "room.state"
)
