package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bidcast/bidcast/internal/ops"
	"github.com/bidcast/bidcast/storage"
)

// TestDemoOpensGuestBiddingInItsRoomOnly runs the server with the demo on,
// as `make run` does, beside a real seller's live room: a guest may bid in
// the demo room (the room's own setting) and is refused, with the stable
// code forbidden, in the seller's room, whose snapshot also tells the guest
// it may not bid there.
func TestDemoOpensGuestBiddingInItsRoomOnly(t *testing.T) {
	// Sign-in limits are per address in the shared Redis, which other
	// packages' tests spend too; they are not under test here.
	cfg := testConfigWith(t, "", map[string]string{"DEMO": "true", "BID_POLL_INTERVAL": "100ms",
		"AUTH_RATE_LIMIT_DISABLED": "true"})
	base, app := startApp(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// A real seller's room, made the way `auctiond room create` makes it.
	real, err := ops.CreateRoom(ctx, app.db, base, "Watches", fmt.Sprintf("sam-%d", time.Now().UnixNano()), ops.RoomOptions{Public: true})
	if err != nil {
		t.Fatal(err)
	}
	if real.LotIDs, err = ops.AddLots(ctx, app.db, real.RoomID, real.SellerID, ops.LotSpec{Count: 1, Currency: "KRW",
		Opening: 10_000, DurationMS: 60_000, Policy: "soft-close"}); err != nil {
		t.Fatal(err)
	}
	seller := newHTTPUser(t, base)
	link, err := app.svc.auth.IssueLoginLink(ctx, real.SellerID)
	if err != nil {
		t.Fatal(err)
	}
	if code := seller.do("GET", strings.TrimPrefix(link, cfg.PublicURL), "", nil); code != 200 {
		t.Fatalf("seller login link: status %d", code)
	}
	if code := seller.do("POST", "/api/v1/rooms/"+real.RoomID+"/live", "", nil); code != 200 {
		t.Fatalf("go live: status %d", code)
	}
	sws := seller.dial()
	sws.request("join", map[string]any{"room_id": real.RoomID})
	sws.request("lot.start", map[string]any{"lot_id": real.LotIDs[0]})
	sws.await("lot.started", isEvent("lot.started"))

	// The demo room's lot.
	demoRoom := app.svc.demo.Show.RoomID
	var demoLot string
	for deadline := time.Now().Add(30 * time.Second); demoLot == ""; time.Sleep(50 * time.Millisecond) {
		if lot, ok, _ := storage.NewLots(app.db).Active(ctx, demoRoom); ok && lot.State == "live" {
			demoLot = lot.ID
		} else if time.Now().After(deadline) {
			t.Fatal("no demo lot went live within 30 s")
		}
	}

	guest := newHTTPUser(t, base)
	if code := guest.do("POST", "/auth/guest", `{"display_name":"Gus"}`, nil); code != 200 {
		t.Fatalf("guest sign-in: %d", code)
	}
	ws := guest.dial()

	ws.send("join", map[string]any{"room_id": real.RoomID})
	snap := ws.await("the seller's room snapshot", isEvent("room.snapshot"))
	if !strings.Contains(snap.field("you"), `"can_bid":false`) {
		t.Errorf("the seller's room tells the guest it may bid: %s", snap.field("you"))
	}
	if code := ws.requestErr("bid.place", map[string]any{"lot_id": real.LotIDs[0], "amount": 10_000,
		"currency": "KRW", "bid_id": "gus-real"}); code != "forbidden" {
		t.Fatalf("guest bid in a real seller's room: answer %q, want forbidden", code)
	}

	ws.send("join", map[string]any{"room_id": demoRoom})
	snap = ws.await("the demo room snapshot", isEvent("room.snapshot"))
	if !strings.Contains(snap.field("you"), `"can_bid":true`) {
		t.Errorf("the demo room tells the guest it may not bid: %s", snap.field("you"))
	}
	ws.request("bid.place", map[string]any{"lot_id": demoLot, "amount": 1_000_000, "currency": "KRW", "bid_id": "gus-demo"})
	ws.await("the guest's demo bid accepted", func(m wsMsg) bool {
		return m.Type == "bid.accepted" && strings.Contains(string(m.Data), `"gus-demo"`)
	})

	bids, err := storage.NewBids(app.db).ListByLot(ctx, real.LotIDs[0], 10)
	if err != nil || len(bids) != 0 {
		t.Fatalf("bids stored on the seller's lot: %v, %v", bids, err)
	}
}
