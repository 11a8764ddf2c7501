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

	"github.com/bidcast/bidcast/internal/ops"
	"github.com/bidcast/bidcast/storage"
)

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
	var spec ops.LotSpec
	fs.IntVar(&spec.Count, "lots", 0, "add this many lots, each with an item of its own")
	fs.StringVar(&spec.Currency, "currency", "KRW", "currency of the lots (ISO 4217)")
	fs.Int64Var(&spec.Opening, "opening", 10_000, "opening price of each lot, in minor units")
	lotDuration := fs.Duration("duration", 60*time.Second, "clock length of each lot")
	fs.StringVar(&spec.Policy, "policy", "soft-close", "clock policy: dynamic, soft-close or sudden-death")
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
	spec.DurationMS = lotDuration.Milliseconds()
	if spec.Count < 0 || spec.Count > 1000 {
		return usageError{errors.New("--lots must be from 0 to 1000")}
	}
	res, err := ops.CreateRoom(ctx, db, cfg.PublicURL, *title, *seller, ops.RoomOptions{Public: !*private, GuestsMayBid: *guestBids})
	if err != nil {
		return err
	}
	if res.LotIDs, err = ops.AddLots(ctx, db, res.RoomID, res.SellerID, spec); errors.Is(err, ops.ErrInvalidLot) {
		return usageError{err}
	} else if err != nil {
		return err
	}
	if *live {
		if res.Status, err = ops.GoLive(ctx, db, res.RoomID); err != nil {
			return err
		}
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
