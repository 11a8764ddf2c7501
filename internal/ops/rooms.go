package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/bidcast/bidcast/api"
	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/bidding"
	"github.com/bidcast/bidcast/storage"
)

// ErrInvalidLot wraps every lot setting the API's rules refuse.
var ErrInvalidLot = errors.New("invalid lot settings")

// Room is a room made by CreateRoom, as `room create --json` prints it.
type Room struct {
	RoomID       string `json:"room_id"`
	Title        string `json:"title"`
	SellerID     string `json:"seller_id"`
	Seller       string `json:"seller"`
	Status       string `json:"status"`
	RoomURL      string `json:"room_url"`
	PublishToken string `json:"publish_token"`
	WHIPURL      string `json:"whip_url"`
	WHEPURL      string `json:"whep_url"`
	// LotIDs are the lots added with AddLots, in queue order.
	LotIDs []string `json:"lot_ids,omitempty"`
	// SellerLoginURL signs the seller in once, within 15 minutes.
	SellerLoginURL string `json:"seller_login_url,omitempty"`
	// GuestsMayBid says the room takes bids from guest accounts.
	GuestsMayBid bool `json:"guests_may_bid"`
}

// RoomOptions are a new room's settings.
type RoomOptions struct {
	// Public rooms can be watched by anyone; others need a viewer token.
	Public bool
	// GuestsMayBid lets guest accounts (display name only) bid.
	GuestsMayBid bool
}

// LotSpec describes the lots AddLots makes: Count lots, each with an item
// of its own, on the default increment table.
type LotSpec struct {
	Count      int
	Currency   string
	Opening    int64  // minor units
	DurationMS int64  // clock length of each lot
	Policy     string // dynamic, soft-close or sudden-death
}

// CreateRoom makes (or finds) the local seller account named sellerName,
// raising a bidder to seller, and a room for it. publicURL is the base of
// the URLs it returns.
func CreateRoom(ctx context.Context, db *storage.DB, publicURL, title, sellerName string, opts RoomOptions) (Room, error) {
	users := storage.NewUsers(db)
	seller, err := users.Upsert(ctx, storage.User{Provider: "local", Subject: sellerName, DisplayName: sellerName, Role: storage.RoleSeller})
	if err != nil {
		return Room{}, err
	}
	if seller.Role == storage.RoleBidder {
		if seller, err = users.SetRole(ctx, seller.ID, storage.RoleSeller); err != nil {
			return Room{}, err
		}
	}
	room, token, err := storage.NewRooms(db).Create(ctx, storage.NewRoom{SellerID: seller.ID, Title: title,
		Public: opts.Public, GuestsMayBid: opts.GuestsMayBid})
	if err != nil {
		return Room{}, err
	}
	return Room{
		RoomID: room.ID, Title: room.Title, SellerID: seller.ID, Seller: seller.DisplayName, Status: room.Status,
		RoomURL:      publicURL + "/rooms/" + room.ID,
		PublishToken: token,
		WHIPURL:      publicURL + "/whip/" + room.ID,
		WHEPURL:      publicURL + "/whep/" + room.ID,
		GuestsMayBid: room.GuestsMayBid,
	}, nil
}

// AddLots creates spec.Count items of the seller and a lot for each, after
// checking the lots' settings with the API's rules (errors wrap
// ErrInvalidLot).
func AddLots(ctx context.Context, db *storage.DB, roomID, sellerID string, spec LotSpec) ([]string, error) {
	if spec.Count == 0 {
		return nil, nil
	}
	incs, err := bidding.IncrementTableJSON(auction.DefaultIncrements)
	if err != nil {
		return nil, err
	}
	lotRules := storage.Lot{Currency: spec.Currency, OpeningPrice: spec.Opening, DurationMS: spec.DurationMS,
		ClockPolicy: ClockPolicyJSON(spec.Policy, spec.DurationMS), IncrementTable: incs}
	var bad *api.Error
	if err := api.CheckLot(lotRules); errors.As(err, &bad) {
		// Worded for the command line: the flag's field and the rule.
		return nil, fmt.Errorf("%w: %s %s", ErrInvalidLot, bad.Field, bad.Message)
	} else if err != nil {
		return nil, fmt.Errorf("check lot settings: %w", err)
	}
	items, lots := storage.NewItems(db), storage.NewLots(db)
	ids := make([]string, 0, spec.Count)
	for i := 1; i <= spec.Count; i++ {
		it, err := items.Create(ctx, storage.Item{SellerID: sellerID, Title: fmt.Sprintf("Lot %d", i)})
		if err != nil {
			return nil, fmt.Errorf("create item %d: %w", i, err)
		}
		l := lotRules
		l.RoomID, l.ItemID = roomID, it.ID
		added, err := lots.Add(ctx, l)
		if err != nil {
			return nil, fmt.Errorf("add lot %d: %w", i, err)
		}
		ids = append(ids, added.ID)
	}
	return ids, nil
}

// GoLive opens the room's show at once and returns its new status.
func GoLive(ctx context.Context, db *storage.DB, roomID string) (string, error) {
	room, err := storage.NewRooms(db).SetStatus(ctx, roomID, storage.RoomLive)
	if err != nil {
		return "", fmt.Errorf("put room %s live: %w", roomID, err)
	}
	return room.Status, nil
}

// ClockPolicyJSON is a policy document in the API's shape with sensible
// parameters for the lot's length: a dynamic clock cuts 2, 5 or 10 seconds
// for raises of 5, 10 or 25% (never more than the lot lasts) above a floor
// of 10 seconds, a soft close extends to 10 seconds; both shrink to fit a
// shorter lot. An unknown policy is passed through for the rules to refuse.
func ClockPolicyJSON(policy string, durationMS int64) json.RawMessage {
	var v any
	switch policy {
	case "dynamic":
		v = map[string]any{"kind": policy, "floor_ms": min(durationMS, 10_000),
			"tiers": []map[string]int64{{"raise_bp": 500, "cut_ms": min(durationMS, 2000)},
				{"raise_bp": 1000, "cut_ms": min(durationMS, 5000)}, {"raise_bp": 2500, "cut_ms": min(durationMS, 10000)}}}
	case "soft-close":
		v = map[string]any{"kind": policy, "window_ms": min(durationMS, 10_000)}
	default:
		v = map[string]any{"kind": policy}
	}
	b, _ := json.Marshal(v)
	return b
}
