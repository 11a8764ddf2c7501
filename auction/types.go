package auction

import "time"

// LotStatus is where a lot is in its life. The values are stable strings
// shared with the database and the wire protocol.
type LotStatus string

// Lot states. A lot goes pending → live ⇄ paused → closing → sold or unsold;
// a lot without bids can be cancelled (skipped); an unsold or cancelled lot
// can be relisted, which makes it live again.
const (
	StatusPending   LotStatus = "pending"
	StatusLive      LotStatus = "live"
	StatusPaused    LotStatus = "paused"
	StatusClosing   LotStatus = "closing"
	StatusSold      LotStatus = "sold"
	StatusUnsold    LotStatus = "unsold"
	StatusCancelled LotStatus = "cancelled"
)

// Terminal reports whether the lot is over (sold, unsold or cancelled).
func (s LotStatus) Terminal() bool {
	return s == StatusSold || s == StatusUnsold || s == StatusCancelled
}

// Active reports whether the lot occupies the room (live, paused or
// closing): while it does, no other lot may start.
func (s LotStatus) Active() bool {
	return s == StatusLive || s == StatusPaused || s == StatusClosing
}

// Reason is a stable code saying why a bid was refused. Clients map codes
// to messages; the codes never change meaning.
type Reason string

// Rejection reasons.
const (
	// ReasonLotNotLive: no lot is taking bids (none started, paused, or
	// already closed).
	ReasonLotNotLive Reason = "lot_not_live"
	// ReasonTooLow: below the next minimum bid (opening price, or high bid
	// plus increment), or a proxy maximum that does not raise the holder's.
	ReasonTooLow Reason = "too_low"
	// ReasonSellerCannotBid: the room's seller bid on their own lot.
	ReasonSellerCannotBid Reason = "seller_cannot_bid"
	// ReasonAfterDeadline: received after the deadline in force.
	ReasonAfterDeadline Reason = "after_deadline"
	// ReasonBanned: the bidder is banned from the room.
	ReasonBanned Reason = "banned"
	// ReasonDuplicate: the ingress sequence was already decided (a
	// redelivery); the original outcome stands.
	ReasonDuplicate Reason = "duplicate"
	// ReasonUnavailable: the bid could not be committed; nothing changed and
	// the client may retry.
	ReasonUnavailable Reason = "unavailable"
	// ReasonWrongLot: the bid names a lot other than the live one.
	ReasonWrongLot Reason = "wrong_lot"
	// ReasonInvalidAmount: the amount is zero, negative, or above MaxAmount.
	ReasonInvalidAmount Reason = "invalid_amount"
	// ReasonCurrencyMismatch: the bid's currency is not the lot's.
	ReasonCurrencyMismatch Reason = "currency_mismatch"
	// ReasonInvalidBid: the bid lacks an ID, bidder or ingress stamp.
	ReasonInvalidBid Reason = "invalid_bid"
)

// BidKind says what a bid record is.
type BidKind string

// Bid kinds, matching the bids table.
const (
	// KindBid is a plain bid for exactly its amount.
	KindBid BidKind = "bid"
	// KindMax sets a proxy maximum; its record's Amount is the ceiling, not
	// a price. The prices placed on the holder's behalf are KindProxy.
	KindMax BidKind = "max"
	// KindProxy is a bid the actor placed for a proxy holder.
	KindProxy BidKind = "proxy"
)

// Bid is a bid or proxy maximum as it reaches the actor: validated for shape
// and stamped by the gateway with ReceivedAt and Seq.
type Bid struct {
	// ID is the client's idempotency key (bid_id), unique per bidder only:
	// a bid is named by (BidderID, ID).
	ID       string
	LotID    string
	BidderID string
	// Amount is the bid, or the ceiling for a proxy maximum.
	Amount Money
	// ReceivedAt is the server receive time, stamped at ingress. The
	// deadline rule compares it, never the time the actor applies the bid.
	ReceivedAt time.Time
	// Seq is the room's ingress sequence (strictly increasing per room);
	// equal amounts go to the lower Seq.
	Seq int64
}

// BidRecord is one accepted bid as committed and shown in history.
type BidRecord struct {
	ID       string
	LotID    string
	BidderID string
	Kind     BidKind
	// Amount is the price bid; for KindMax it is the hidden ceiling, and it
	// is zeroed in events and history.
	Amount     Money
	ReceivedAt time.Time
	// Seq is the ingress sequence; for KindProxy it is the sequence of the
	// holder's maximum, which is what ranks the proxy bid in a tie.
	Seq int64
}

// ProxyMax is one bidder's hidden maximum on a lot. Its stored shape is
// storage.ProxyMax.
type ProxyMax struct {
	BidderID string
	Max      int64
	// Seq is the ingress sequence of the bid that set Max; equal maxima go
	// to the lower Seq.
	Seq        int64
	ReceivedAt time.Time
}

// LotResult is how a lot ended.
type LotResult struct {
	// Status is sold, unsold or cancelled.
	Status LotStatus
	// WinnerID, WinningBidID and Price are set only when sold.
	WinnerID     string
	WinningBidID string
	Price        Money
	ClosedAt     time.Time
}

// LotState is the durable, changing part of a lot: everything a restarted
// node needs to resume it. The actor hands a copy to Store on every change.
type LotState struct {
	RoomID string
	LotID  string
	Status LotStatus
	// Version increases by one with every committed change; a store applies
	// a state only if it holds Version-1, so a stale owner cannot overwrite
	// a newer state.
	Version int64
	// Deadline is the closing time in force while live or closing.
	Deadline time.Time
	// LiveSince is when the lot last became live (start, resume, relist):
	// a bid received before it was sent while the lot was not taking bids.
	LiveSince time.Time
	// RemainingMS is the clock left when paused.
	RemainingMS int64
	// HighBid is the current price; zero with no bids.
	HighBid int64
	// LeaderID, HighBidID and HighSeq describe the leading bid.
	LeaderID  string
	HighBidID string
	HighSeq   int64
	// BidCount counts accepted price bids (plain and proxy).
	BidCount int64
	// Proxies are the live hidden maxima. The slice is never modified in
	// place once handed out, so a store may keep it.
	Proxies []ProxyMax
	// LastSeq is the highest ingress sequence decided on this lot, so a
	// redelivered bid is recognized after a restart.
	LastSeq int64
	// Result is set once the lot is sold, unsold or cancelled.
	Result *LotResult
}

// HasBid reports whether the lot has a leading bid.
func (s *LotState) HasBid() bool { return s.LeaderID != "" }

// proxyOf returns the index of bidder's proxy maximum, or -1.
func (s *LotState) proxyOf(bidder string) int {
	for i := range s.Proxies {
		if s.Proxies[i].BidderID == bidder {
			return i
		}
	}
	return -1
}
