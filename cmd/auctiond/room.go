package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

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
}

// roomCommand handles `auctiond room <verb>`.
func roomCommand(ctx context.Context, args []string, out io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError{errors.New("usage: auctiond room create --title T --seller NAME [--json]")}
	}
	fs := flag.NewFlagSet("auctiond room create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	title := fs.String("title", "", "the show's title (required)")
	seller := fs.String("seller", "", "the seller's account name; created if it does not exist (required)")
	asJSON := fs.Bool("json", false, "print JSON")
	private := fs.Bool("private", false, "make the room private (viewers need a token)")
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
	res, err := createRoom(ctx, db, cfg.PublicURL, *title, *seller, !*private)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	_, err = fmt.Fprintf(out, "room %s (%q by %s)\n  open:    %s\n  WHIP:    %s\n  WHEP:    %s\n  token:   %s\n",
		res.RoomID, res.Title, res.Seller, res.RoomURL, res.WHIPURL, res.WHEPURL, res.PublishToken)
	return err
}

// createRoom makes (or finds) the local seller account and a room for it.
func createRoom(ctx context.Context, db *storage.DB, publicURL, title, sellerName string, public bool) (roomCreated, error) {
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
	room, token, err := storage.NewRooms(db).Create(ctx, storage.NewRoom{SellerID: seller.ID, Title: title, Public: public})
	if err != nil {
		return roomCreated{}, err
	}
	return roomCreated{
		RoomID: room.ID, Title: room.Title, SellerID: seller.ID, Seller: seller.DisplayName, Status: room.Status,
		RoomURL:      publicURL + "/rooms/" + room.ID,
		PublishToken: token,
		WHIPURL:      publicURL + "/whip/" + room.ID,
		WHEPURL:      publicURL + "/whep/" + room.ID,
	}, nil
}
