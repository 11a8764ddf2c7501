package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/bidding"
	"github.com/bidcast/bidcast/storage"
)

// roomCreated is what `room create --json` prints.
type roomCreated struct {
	RoomID       string `json:"room_id"`
	Title        string `json:"title"`
	SellerID     string `json:"seller_id"`
	Seller       string `json:"seller"`
	Status       string `json:"status"`
	RoomURL      string `json:"room_url"`
	PublishToken string `json:"publish_token"`
	WHIPURL      string `json:"whip_url"`
	WHEPURL      string `json:"whep_url"`
	// LotIDs are the lots created with --lots, in queue order.
	LotIDs []string `json:"lot_ids,omitempty"`
	// SellerLoginURL signs the seller in once, within 15 minutes.
	SellerLoginURL string `json:"seller_login_url,omitempty"`
	// GuestsMayBid says the room takes bids from guest accounts.
	GuestsMayBid bool `json:"guests_may_bid"`
}

// roomOptions are the room settings of `room create`.
type roomOptions struct {
	public       bool
	guestsMayBid bool
}

// lotSpec is what --lots and its companions describe.
type lotSpec struct {
	count    int
	currency string
	opening  int64
	duration int64 // ms
	policy   string
}

// stderr receives warnings of the CLI commands; tests may replace it.
var stderr io.Writer = os.Stderr

// roomCommand handles `auctiond room <verb>`.
func roomCommand(ctx context.Context, args []string, out io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError{errors.New("usage: auctiond room create --title T --seller NAME [--guests-may-bid] [--json]")}
	}
	fs := flag.NewFlagSet("auctiond room create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	title := fs.String("title", "", "the show's title (required)")
	seller := fs.String("seller", "", "the seller's account name; created if it does not exist (required)")
	asJSON := fs.Bool("json", false, "print JSON")
	private := fs.Bool("private", false, "make the room private (viewers need a token)")
	live := fs.Bool("live", false, "start the show at once (the room goes live)")
	guestBids := fs.Bool("guests-may-bid", false, "let guest accounts (display name only) bid in this room")
	var spec lotSpec
	fs.IntVar(&spec.count, "lots", 0, "add this many lots, each with an item of its own")
	fs.StringVar(&spec.currency, "currency", "KRW", "currency of the lots (ISO 4217)")
	fs.Int64Var(&spec.opening, "opening", 10_000, "opening price of each lot, in minor units")
	lotDuration := fs.Duration("duration", 60*time.Second, "clock length of each lot")
	fs.StringVar(&spec.policy, "policy", "soft-close", "clock policy: dynamic, soft-close or sudden-death")
	cfg, err := loadConfig(fs, args[1:], getenv)
	if err != nil {
		return usageError{err}
	}
	*title, *seller = strings.TrimSpace(*title), strings.TrimSpace(*seller)
	if *title == "" || *seller == "" {
		return usageError{errors.New("room create needs --title and --seller")}
	}
	log := cfg.newLogger()
	db, err := storage.Open(ctx, storage.Config{URL: cfg.DatabaseURL, ConnectTimeout: cfg.DBConnectWait}, log)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer db.Close()
	if _, _, err := db.Migrate(ctx); err != nil {
		return err
	}
	spec.duration = lotDuration.Milliseconds()
	if spec.count < 0 || spec.count > 1000 {
		return usageError{errors.New("--lots must be from 0 to 1000")}
	}
	res, err := createRoom(ctx, db, cfg.PublicURL, *title, *seller, roomOptions{public: !*private, guestsMayBid: *guestBids})
	if err != nil {
		return err
	}
	if res.LotIDs, err = addLots(ctx, db, res.RoomID, res.SellerID, spec); err != nil {
		return err
	}
	if *live {
		room, err := storage.NewRooms(db).SetStatus(ctx, res.RoomID, storage.RoomLive)
		if err != nil {
			return err
		}
		res.Status = room.Status
	}
	// The sign-in link is a convenience: without auth keys for a public
	// address (or without Redis) the room is still made.
	if link, err := loginLink(ctx, cfg, db, res.SellerID); err == nil {
		res.SellerLoginURL = link
	} else {
		fmt.Fprintf(stderr, "auctiond: no seller sign-in link: %v\n", err)
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	_, err = fmt.Fprintf(out, "room %s (%q by %s, %s, %d lots)\n  open:    %s\n  WHIP:    %s\n  WHEP:    %s\n  token:   %s\n  seller sign-in (once, 15 min): %s\n",
		res.RoomID, res.Title, res.Seller, res.Status, len(res.LotIDs), res.RoomURL, res.WHIPURL, res.WHEPURL,
		res.PublishToken, res.SellerLoginURL)
	return err
}

// createRoom makes (or finds) the local seller account and a room for it.
func createRoom(ctx context.Context, db *storage.DB, publicURL, title, sellerName string, opts roomOptions) (roomCreated, error) {
	users := storage.NewUsers(db)
	seller, err := users.Upsert(ctx, storage.User{Provider: "local", Subject: sellerName, DisplayName: sellerName, Role: storage.RoleSeller})
	if err != nil {
		return roomCreated{}, err
	}
	if seller.Role == storage.RoleBidder {
		if seller, err = users.SetRole(ctx, seller.ID, storage.RoleSeller); err != nil {
			return roomCreated{}, err
		}
	}
	room, token, err := storage.NewRooms(db).Create(ctx, storage.NewRoom{SellerID: seller.ID, Title: title,
		Public: opts.public, GuestsMayBid: opts.guestsMayBid})
	if err != nil {
		return roomCreated{}, err
	}
	return roomCreated{
		RoomID: room.ID, Title: room.Title, SellerID: seller.ID, Seller: seller.DisplayName, Status: room.Status,
		RoomURL:      publicURL + "/rooms/" + room.ID,
		PublishToken: token,
		WHIPURL:      publicURL + "/whip/" + room.ID,
		WHEPURL:      publicURL + "/whep/" + room.ID,
		GuestsMayBid: room.GuestsMayBid,
	}, nil
}

// addLots creates spec.count items of the seller and a lot for each.
func addLots(ctx context.Context, db *storage.DB, roomID, sellerID string, spec lotSpec) ([]string, error) {
	if spec.count == 0 {
		return nil, nil
	}
	incs, _ := json.Marshal(auction.DefaultIncrements)
	lotRules := storage.Lot{Currency: spec.currency, OpeningPrice: spec.opening, DurationMS: spec.duration,
		ClockPolicy: clockPolicyJSON(spec.policy, spec.duration), IncrementTable: incs}
	if _, err := bidding.LotFromStorage(withID(lotRules)); err != nil {
		return nil, usageError{fmt.Errorf("lot settings: %w", err)}
	}
	items, lots := storage.NewItems(db), storage.NewLots(db)
	ids := make([]string, 0, spec.count)
	for i := 1; i <= spec.count; i++ {
		it, err := items.Create(ctx, storage.Item{SellerID: sellerID, Title: fmt.Sprintf("Lot %d", i)})
		if err != nil {
			return nil, err
		}
		l := lotRules
		l.RoomID, l.ItemID = roomID, it.ID
		added, err := lots.Add(ctx, l)
		if err != nil {
			return nil, err
		}
		ids = append(ids, added.ID)
	}
	return ids, nil
}

// clockPolicyJSON is a policy document in the API's shape with sensible
// parameters for the lot's length.
func clockPolicyJSON(policy string, durationMS int64) json.RawMessage {
	var v any
	switch policy {
	case "dynamic":
		v = map[string]any{"kind": policy, "floor_ms": min(durationMS, 10_000),
			"tiers": []map[string]int64{{"raise_bp": 500, "cut_ms": 2000}, {"raise_bp": 1000, "cut_ms": 5000}, {"raise_bp": 2500, "cut_ms": 10000}}}
	case "soft-close":
		v = map[string]any{"kind": policy, "window_ms": min(durationMS, 10_000)}
	default:
		v = map[string]any{"kind": policy}
	}
	b, _ := json.Marshal(v)
	return b
}

// withID gives a lot being checked before it is stored a placeholder ID.
func withID(l storage.Lot) storage.Lot {
	l.ID = "new"
	return l
}
