package events

import (
	"time"

	"github.com/bidcast/bidcast/auction"
)

// The wire schema of the room actor's events: what the data of a published
// Event holds, and the room snapshot every viewer gets. Bidders are named by
// their room alias (Aliases), a bid's ID appears only in its own bidder's
// copy, proxy maxima only in their owner's copy, and proxy bids are shown to
// others as plain bids. The types are an allow-list on purpose: a field
// added to auction.Event reaches clients only once it is added here (the
// owner node's bidding package renders each event per audience).

// Money is an amount as clients see it: whole minor units and the ISO 4217
// currency. It is auction.Money's wire shape; the domain type has none.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// MoneyOf is m as it goes on the wire.
func MoneyOf(m auction.Money) Money { return Money{Amount: m.Amount, Currency: m.Currency} }

// PublicBid is a bid as a viewer sees it.
type PublicBid struct {
	// BidID is the client's bid_id; set only in the bidder's own copy.
	BidID string `json:"bid_id,omitempty"`
	LotID string `json:"lot_id"`
	// Bidder is the bidder's alias in the room (Aliases).
	Bidder string `json:"bidder"`
	// Kind is "bid" for everyone but the bidder, who also sees "max" (their
	// proxy maximum) and "proxy" (a bid their maximum placed).
	Kind   auction.BidKind `json:"kind"`
	Amount Money           `json:"amount,omitzero"`
	// ReceivedAt and Seq are when the bid was received and its room
	// ingress sequence number. Others see a proxy bid with those of the bid
	// that made the proxy answer, as if it were a plain bid placed then
	// (never with its maximum's); left out when that is not known.
	ReceivedAt time.Time `json:"received_at,omitzero"`
	Seq        int64     `json:"seq,omitempty"`
}

// PublicResult is how a lot ended, with the winner by alias.
type PublicResult struct {
	Status   auction.LotStatus `json:"status"`
	Winner   string            `json:"winner,omitempty"`
	Price    Money             `json:"price,omitzero"`
	ClosedAt time.Time         `json:"closed_at"`
}

// PublicModeration is a moderation event's data. An event about one user
// reaches only that user, so it does not name them.
type PublicModeration struct {
	Banned     bool      `json:"banned,omitempty"`
	Muted      bool      `json:"muted,omitempty"`
	MutedUntil time.Time `json:"muted_until,omitzero"`
	SlowModeMS int64     `json:"slow_mode_ms,omitempty"`
}

// PublicEvent is the data of a room actor event on the wire (see
// auction.Event for the meaning of each field).
type PublicEvent struct {
	Type   string            `json:"type"`
	RoomID string            `json:"room_id"`
	LotID  string            `json:"lot_id,omitempty"`
	At     time.Time         `json:"at"`
	Status auction.LotStatus `json:"status,omitempty"`
	// Bid is the bid the event is about; left out of others' copies when
	// it is a proxy maximum.
	Bid      *PublicBid     `json:"bid,omitempty"`
	AutoBids []PublicBid    `json:"auto_bids,omitempty"`
	Reason   auction.Reason `json:"reason,omitempty"`
	HighBid  Money          `json:"high_bid,omitzero"`
	// Leader is the leading bidder's alias.
	Leader      string            `json:"leader,omitempty"`
	NextMin     Money             `json:"next_min,omitzero"`
	ReserveMet  bool              `json:"reserve_met,omitempty"`
	Deadline    time.Time         `json:"deadline,omitzero"`
	RemainingMS int64             `json:"remaining_ms,omitempty"`
	Result      *PublicResult     `json:"result,omitempty"`
	Moderation  *PublicModeration `json:"moderation,omitempty"`
}

// PublicLot is the current lot as the snapshot shows it.
type PublicLot struct {
	ID          string            `json:"id"`
	Status      auction.LotStatus `json:"status"`
	Policy      auction.Policy    `json:"policy"`
	Opening     Money             `json:"opening"`
	HighBid     Money             `json:"high_bid,omitzero"`
	Leader      string            `json:"leader,omitempty"`
	BidCount    int64             `json:"bid_count"`
	NextMin     Money             `json:"next_min,omitzero"`
	HasReserve  bool              `json:"has_reserve"`
	ReserveMet  bool              `json:"reserve_met"`
	Deadline    time.Time         `json:"deadline,omitzero"`
	RemainingMS int64             `json:"remaining_ms,omitempty"`
	Result      *PublicResult     `json:"result,omitempty"`
	Version     int64             `json:"version"`
}

// PublicSnapshot is the room actor's snapshot as every viewer gets it (the
// state of room.snapshot).
type PublicSnapshot struct {
	RoomID     string      `json:"room_id"`
	SellerID   string      `json:"seller_id"`
	EventSeq   int64       `json:"event_seq"`
	ServerTime time.Time   `json:"server_time"`
	Lot        *PublicLot  `json:"lot,omitempty"`
	History    []PublicBid `json:"history,omitempty"`
	SlowModeMS int64       `json:"slow_mode_ms,omitempty"`
}
