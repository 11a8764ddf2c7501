package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/bidding"
	"github.com/bidcast/bidcast/storage"
)

// Config sets up the demo show. Zero fields take the defaults below.
type Config struct {
	// Title is the demo room's title; the room is found again by it.
	Title string
	// Seller is the demo seller's local account name.
	Seller string
	// Currency of the lots (ISO 4217), KRW by default.
	Currency string
	// Opening is each lot's opening price in minor units.
	Opening int64
	// LotLength is each lot's clock, 90 s by default.
	LotLength time.Duration
	// Pause is how long a closed lot's result stays up before the next.
	Pause time.Duration
	// Batch is how many lots are added when none is pending.
	Batch int
}

// Defaults of Config.
const (
	DefaultTitle     = "Bidcast demo: live test pattern"
	DefaultSeller    = "demo-seller"
	DefaultCurrency  = "KRW"
	DefaultOpening   = 10_000
	DefaultLotLength = 90 * time.Second
	DefaultPause     = 5 * time.Second
	DefaultBatch     = 4
)

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	if c.Title == "" {
		c.Title = DefaultTitle
	}
	if c.Seller == "" {
		c.Seller = DefaultSeller
	}
	if c.Currency == "" {
		c.Currency = DefaultCurrency
	}
	if c.Opening <= 0 {
		c.Opening = DefaultOpening
	}
	if c.LotLength <= 0 {
		c.LotLength = DefaultLotLength
	}
	if c.Pause <= 0 {
		c.Pause = DefaultPause
	}
	if c.Batch <= 0 {
		c.Batch = DefaultBatch
	}
	return c
}

// Show is the seeded demo: its room, seller and a fresh publish token for
// the built-in broadcaster.
type Show struct {
	RoomID       string
	SellerID     string
	PublishToken string
}

// Seed finds or creates the demo seller and its live room, makes sure the
// room has a pending or running lot, and gives the room a new publish
// token (tokens are stored hashed, so the broadcaster needs a fresh one on
// every start). Running it again reuses the same seller and room.
func Seed(ctx context.Context, db *storage.DB, cfg Config) (Show, error) {
	cfg = cfg.withDefaults()
	users := storage.NewUsers(db)
	seller, err := users.Upsert(ctx, storage.User{Provider: "local", Subject: cfg.Seller,
		DisplayName: "Demo seller", Role: storage.RoleSeller})
	if err != nil {
		return Show{}, fmt.Errorf("demo seller: %w", err)
	}
	if seller.Role == storage.RoleBidder {
		if seller, err = users.SetRole(ctx, seller.ID, storage.RoleSeller); err != nil {
			return Show{}, fmt.Errorf("demo seller role: %w", err)
		}
	}
	show := Show{SellerID: seller.ID}
	if show.RoomID, err = findOrCreateRoom(ctx, db, seller.ID, cfg.Title); err != nil {
		return Show{}, err
	}
	rooms := storage.NewRooms(db)
	if show.PublishToken, err = rooms.RotatePublishToken(ctx, show.RoomID); err != nil {
		return Show{}, fmt.Errorf("demo publish token: %w", err)
	}
	lots, err := storage.NewLots(db).ListByRoom(ctx, show.RoomID)
	if err != nil {
		return Show{}, fmt.Errorf("demo lots: %w", err)
	}
	if !hasOpenLot(lots) {
		if _, err := AddLots(ctx, db, show, cfg); err != nil {
			return Show{}, err
		}
	}
	return show, nil
}

// findOrCreateRoom returns the seller's live or scheduled room of that
// title, made live, or a new one. Either takes bids from guests: the demo
// lets a newcomer bid at once, in this room and no other.
func findOrCreateRoom(ctx context.Context, db *storage.DB, sellerID, title string) (string, error) {
	rooms := storage.NewRooms(db)
	for _, status := range []string{storage.RoomLive, storage.RoomScheduled} {
		list, err := rooms.ListPage(ctx, storage.RoomFilter{Status: status, SellerID: sellerID, Limit: 50})
		if err != nil {
			return "", fmt.Errorf("find the demo room: %w", err)
		}
		for _, r := range list {
			if r.Title != title {
				continue
			}
			if r.Status != storage.RoomLive {
				if r, err = rooms.SetStatus(ctx, r.ID, storage.RoomLive); err != nil {
					return "", fmt.Errorf("demo room live: %w", err)
				}
			}
			if !r.GuestsMayBid { // a demo room made before guest bidding was a room setting
				if _, err := rooms.UpdateDetails(ctx, storage.RoomChange{ID: r.ID, Version: r.Version, Title: r.Title,
					Description: r.Description, Public: r.Public, ScheduledAt: r.ScheduledAt, GuestsMayBid: true}); err != nil {
					return "", fmt.Errorf("demo room guest bidding: %w", err)
				}
			}
			return r.ID, nil
		}
	}
	r, _, err := rooms.Create(ctx, storage.NewRoom{SellerID: sellerID, Title: title, Public: true, GuestsMayBid: true,
		Description: "A synthetic broadcast with lots that run one after another. Bid as a guest."})
	if err != nil {
		return "", fmt.Errorf("create the demo room: %w", err)
	}
	if _, err := rooms.SetStatus(ctx, r.ID, storage.RoomLive); err != nil {
		return "", fmt.Errorf("demo room live: %w", err)
	}
	return r.ID, nil
}

// hasOpenLot reports whether a lot is pending or running.
func hasOpenLot(lots []storage.Lot) bool {
	for _, l := range lots {
		switch l.State {
		case "pending", "live", "paused", "closing":
			return true
		}
	}
	return false
}

// demoItems are the demo lots' titles and descriptions, in turn.
var demoItems = []struct{ title, description string }{
	{"Vintage film camera", "A 35 mm rangefinder, shutter tested, light seals replaced."},
	{"Celadon tea bowl", "Hand-thrown stoneware with a pale green glaze."},
	{"Mechanical keyboard", "Tenkeyless, tactile switches, PBT keycaps."},
	{"Signed baseball", "Game ball with a certificate of authenticity."},
	{"Wool scarf", "Hand-knitted, 180 cm, charcoal grey."},
	{"Fountain pen", "Fine nib, piston filler, with a bottle of ink."},
}

// AddLots creates cfg.Batch items of the demo seller and a lot for each at
// the end of the room's queue, and returns the lots' IDs. The lots use a
// dynamic clock (bids cut time), the default increment table and no
// reserve.
func AddLots(ctx context.Context, db *storage.DB, show Show, cfg Config) ([]string, error) {
	cfg = cfg.withDefaults()
	rules, err := lotRules(cfg)
	if err != nil {
		return nil, err
	}
	items, lots := storage.NewItems(db), storage.NewLots(db)
	existing, err := lots.ListByRoom(ctx, show.RoomID)
	if err != nil {
		return nil, fmt.Errorf("demo lots: %w", err)
	}
	ids := make([]string, 0, cfg.Batch)
	for i := range cfg.Batch {
		d := demoItems[(len(existing)+i)%len(demoItems)]
		it, err := items.Create(ctx, storage.Item{SellerID: show.SellerID, Title: d.title, Description: d.description})
		if err != nil {
			return nil, fmt.Errorf("demo item: %w", err)
		}
		l := rules
		l.RoomID, l.ItemID = show.RoomID, it.ID
		added, err := lots.Add(ctx, l)
		if err != nil {
			return nil, fmt.Errorf("demo lot: %w", err)
		}
		ids = append(ids, added.ID)
	}
	return ids, nil
}

// lotRules are the demo lots' prices and clock, checked as the room actor
// will read them.
func lotRules(cfg Config) (storage.Lot, error) {
	durationMS := cfg.LotLength.Milliseconds()
	incs, err := bidding.IncrementTableJSON(auction.DefaultIncrements)
	if err != nil {
		return storage.Lot{}, fmt.Errorf("demo increments: %w", err)
	}
	policy, err := json.Marshal(map[string]any{"kind": "dynamic", "floor_ms": min(durationMS, 10_000),
		"tiers": []map[string]int64{
			{"raise_bp": 500, "cut_ms": min(durationMS, 2000)},
			{"raise_bp": 1000, "cut_ms": min(durationMS, 5000)},
			{"raise_bp": 2500, "cut_ms": min(durationMS, 10000)},
		}})
	if err != nil {
		return storage.Lot{}, fmt.Errorf("demo clock policy: %w", err)
	}
	l := storage.Lot{Currency: cfg.Currency, OpeningPrice: cfg.Opening, DurationMS: durationMS,
		ClockPolicy: policy, IncrementTable: incs}
	check := l
	check.ID = "new"
	if _, err := bidding.LotFromStorage(check); err != nil {
		return storage.Lot{}, fmt.Errorf("demo lot settings: %w", err)
	}
	return l, nil
}
