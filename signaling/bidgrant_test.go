package signaling

import (
	"context"
	"errors"
	"testing"

	"github.com/bidcast/bidcast/bidding"
	"github.com/bidcast/bidcast/storage"
)

// TestGuestBidsFollowTheRoom joins a guest to two live rooms of one seller,
// one taking guest bids and one not: the snapshot's can_bid and the answer
// to bid.place follow each room's own setting, and nothing is sequenced
// for the refused bid. (cmd/auctiond's TestDemoOpensGuestBiddingInItsRoomOnly
// runs the same through the server's grant, auth's rule.)
func TestGuestBidsFollowTheRoom(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	closed, _, err := e.rooms.Create(ctx, storage.NewRoom{SellerID: e.seller.ID, Title: "Members only", Public: true})
	if err != nil {
		t.Fatal(err)
	}
	if closed, err = e.rooms.SetStatus(ctx, closed.ID, storage.RoomLive); err != nil {
		t.Fatal(err)
	}
	_, srv := e.gateway(nil)
	gus := dial(t, srv, "gus")

	if snap := gus.join(closed.ID); snap.You.CanBid {
		t.Error("snapshot of a room without guest bidding says the guest may bid")
	}
	id := gus.send(TypeBidPlace, BidData{LotID: "11111111-2222-3333-4444-555555555555", Amount: 15000,
		Currency: "KRW", BidID: "gus-1"})
	gus.expectError(id, CodeForbidden)
	if _, err := e.outcomes.Get(ctx, closed.ID, e.user("gus").ID, "gus-1"); !errors.Is(err, bidding.ErrUnknownBid) {
		t.Fatalf("a refused guest bid was sequenced: %v", err)
	}

	if snap := gus.join(e.room.ID); !snap.You.CanBid {
		t.Error("snapshot of a room with guest bidding says the guest may not bid")
	}

}
