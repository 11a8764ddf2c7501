package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/bidcast/bidcast/internal/ops"
)

// roomCreate is `auctiond room create`: a seller (made if needed), a room
// with its lots, optionally live at once, and the seller's sign-in link.
func roomCreate(ctx context.Context, p *Program, fs *flag.FlagSet, args []string) error {
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
	s, err := p.Load(fs, args)
	if err != nil {
		return UsageError{err}
	}
	*title, *seller = strings.TrimSpace(*title), strings.TrimSpace(*seller)
	if *title == "" || *seller == "" {
		return UsageError{errors.New("room create needs --title and --seller")}
	}
	if spec.Count < 0 || spec.Count > 1000 {
		return UsageError{errors.New("--lots must be from 0 to 1000")}
	}
	spec.DurationMS = lotDuration.Milliseconds()
	db, err := openDB(ctx, s)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := ops.CreateRoom(ctx, db, s.PublicURL, *title, *seller, ops.RoomOptions{Public: !*private, GuestsMayBid: *guestBids})
	if err != nil {
		return err
	}
	if res.LotIDs, err = ops.AddLots(ctx, db, res.RoomID, res.SellerID, spec); errors.Is(err, ops.ErrInvalidLot) {
		return UsageError{err}
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
	if link, err := loginLink(ctx, s, db, res.SellerID); err == nil {
		res.SellerLoginURL = link
	} else {
		fmt.Fprintf(p.Stderr, "auctiond: no seller sign-in link: %v\n", oneLine(err))
	}
	if *asJSON {
		enc := json.NewEncoder(p.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	_, err = fmt.Fprintf(p.Stdout, "room %s (%q by %s, %s, %d lots)\n  open:    %s\n  WHIP:    %s\n  WHEP:    %s\n  token:   %s\n  seller sign-in (once, 15 min): %s\n",
		res.RoomID, res.Title, res.Seller, res.Status, len(res.LotIDs), res.RoomURL, res.WHIPURL, res.WHEPURL,
		res.PublishToken, res.SellerLoginURL)
	return err
}
