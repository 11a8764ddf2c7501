package bidding

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bidcast/bidcast/auction"
)

// Kinds of bid a client can place.
const (
	// KindBid is a plain bid for exactly Amount.
	KindBid = "bid"
	// KindMax sets a proxy maximum: the room actor bids for the holder, by
	// increment, up to Amount.
	KindMax = "max"
)

// MaxAmount bounds any amount a client may send (10^15 minor units), far
// above any real price and far below int64 overflow in increment arithmetic.
const MaxAmount int64 = 1_000_000_000_000_000

// Bid is one bid as it travels through the pipeline. The client supplies
// RoomID, LotID, BidID, Amount, Currency and Kind; the gateway supplies the
// authenticated BidderID; Submit stamps ReceivedAt and Seq.
type Bid struct {
	RoomID     string    `json:"room_id"`
	LotID      string    `json:"lot_id"`
	BidID      string    `json:"bid_id"`
	BidderID   string    `json:"bidder_id"`
	Amount     int64     `json:"amount"`
	Currency   string    `json:"currency"`
	Kind       string    `json:"kind"`
	ReceivedAt time.Time `json:"received_at"`
	Seq        int64     `json:"seq,omitempty"` // 0 until sequenced; the ingress script appends it
}

// auction returns b as the room actor takes it.
func (b *Bid) auction() auction.Bid {
	return auction.Bid{ID: b.BidID, LotID: b.LotID, BidderID: b.BidderID,
		Amount: auction.Money{Amount: b.Amount, Currency: b.Currency}, ReceivedAt: b.ReceivedAt, Seq: b.Seq}
}

// ErrInvalidBid wraps every reason a bid's shape is refused at ingress.
var ErrInvalidBid = errors.New("invalid bid")

// ErrRoomEnded refuses a bid at ingress for a room that has ended: nobody
// would ever decide it.
var ErrRoomEnded = errors.New("the room has ended")

// ErrBidderBanned refuses a bid at ingress from a bidder the room has
// banned (IngressConfig.BannedSet).
var ErrBidderBanned = errors.New("the bidder is banned from the room")

// Validate checks the bid's shape: what can be judged without the room's
// state. Rules that need the state (too low, lot not live) are the actor's.
func (b *Bid) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidBid, fmt.Sprintf(format, args...))
	}
	switch {
	case !isID(b.RoomID):
		return bad("room_id must be a UUID")
	case !isID(b.LotID):
		return bad("lot_id must be a UUID")
	case !isID(b.BidderID):
		return bad("bidder_id must be a UUID")
	case b.BidID == "" || len(b.BidID) > 64 || !printableASCII(b.BidID):
		return bad("bid_id must be 1 to 64 printable ASCII characters")
	case strings.ContainsRune(b.BidID, '~'):
		// The room names the proxy bids it places "<bid_id>~<n>".
		return bad("bid_id must not contain '~'")
	case b.Amount <= 0:
		return bad("amount must be a positive number of minor units")
	case b.Amount > MaxAmount:
		return bad("amount is larger than %d minor units", MaxAmount)
	case len(b.Currency) != 3 || b.Currency[0] < 'A' || b.Currency[0] > 'Z' ||
		b.Currency[1] < 'A' || b.Currency[1] > 'Z' || b.Currency[2] < 'A' || b.Currency[2] > 'Z':
		return bad("currency must be a three-letter ISO 4217 code such as KRW")
	case b.Kind != KindBid && b.Kind != KindMax:
		return bad("kind must be %q or %q", KindBid, KindMax)
	}
	return nil
}

// isID reports whether s looks like a UUID, the form of every ID we issue.
func isID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
			continue
		}
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func printableASCII(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
