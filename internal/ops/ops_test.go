package ops

import (
	"context"
	"errors"
	"testing"

	"github.com/bidcast/bidcast/api"
	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/bidding"
	"github.com/bidcast/bidcast/storage"
	"github.com/bidcast/bidcast/storage/storagetest"
)

// TestCreateRoomWithLots makes a show the way `auctiond room create` does:
// the seller account is made once and reused, a bidder of that name is
// raised to seller, lots get their own items in queue order, and the room
// goes live.
func TestCreateRoomWithLots(t *testing.T) {
	db := storagetest.New(t)
	ctx := context.Background()
	users := storage.NewUsers(db)
	if _, err := users.Upsert(ctx, storage.User{Provider: "local", Subject: "ana", DisplayName: "ana"}); err != nil {
		t.Fatal(err)
	}
	r, err := CreateRoom(ctx, db, "http://x", "Cameras", "ana", RoomOptions{Public: true, GuestsMayBid: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.RoomURL != "http://x/rooms/"+r.RoomID || r.WHIPURL != "http://x/whip/"+r.RoomID || r.PublishToken == "" ||
		!r.GuestsMayBid || r.Seller != "ana" {
		t.Errorf("room: %+v", r)
	}
	if u, err := users.Get(ctx, r.SellerID); err != nil || u.Role != storage.RoleSeller {
		t.Errorf("seller account: %+v, %v", u, err)
	}
	again, err := CreateRoom(ctx, db, "http://x", "Watches", "ana", RoomOptions{})
	if err != nil || again.SellerID != r.SellerID || again.RoomID == r.RoomID {
		t.Fatalf("second room of the seller: %+v, %v", again, err)
	}
	ids, err := AddLots(ctx, db, r.RoomID, r.SellerID, LotSpec{Count: 3, Currency: "KRW", Opening: 10_000,
		DurationMS: 60_000, Policy: "dynamic"})
	if err != nil || len(ids) != 3 {
		t.Fatalf("lots: %v, %v", ids, err)
	}
	lots, err := storage.NewLots(db).ListByRoom(ctx, r.RoomID)
	if err != nil || len(lots) != 3 || lots[0].ID != ids[0] || lots[2].ID != ids[2] || lots[0].ItemID == lots[1].ItemID {
		t.Fatalf("stored lots: %+v, %v", lots, err)
	}
	if status, err := GoLive(ctx, db, r.RoomID); err != nil || status != storage.RoomLive {
		t.Fatalf("go live: %q, %v", status, err)
	}
	_, err = AddLots(ctx, db, r.RoomID, r.SellerID, LotSpec{Count: 1, Currency: "won", Opening: 1, DurationMS: 60_000,
		Policy: "soft-close"})
	if !errors.Is(err, ErrInvalidLot) || err.Error() != "invalid lot settings: currency must be an ISO 4217 code such as EUR" {
		t.Fatalf("a bad currency: %v, want ErrInvalidLot on currency", err)
	}
}

// TestClockPolicyJSONMeetsTheRules: every default policy the CLI writes
// passes the API's rules and the auction's own, for any lot length the API
// accepts.
func TestClockPolicyJSONMeetsTheRules(t *testing.T) {
	incs, _ := bidding.IncrementTableJSON(auction.DefaultIncrements)
	for _, policy := range []string{"dynamic", "soft-close", "sudden-death"} {
		for _, d := range []int64{5_000, 7_500, 10_000, 60_000, 3_600_000, 86_400_000} {
			l := storage.Lot{Currency: "EUR", OpeningPrice: 100, DurationMS: d, IncrementTable: incs,
				ClockPolicy: ClockPolicyJSON(policy, d)}
			if err := api.CheckLot(l); err != nil {
				t.Errorf("%s, %d ms: %v (%s)", policy, d, err, l.ClockPolicy)
			}
		}
	}
	if err := api.CheckLot(storage.Lot{Currency: "EUR", DurationMS: 60_000, IncrementTable: incs,
		ClockPolicy: ClockPolicyJSON("forever", 60_000)}); err == nil {
		t.Error("an unknown policy passed the rules")
	}
}

// TestChangeUser promotes, demotes, bans and unbans by reference.
func TestChangeUser(t *testing.T) {
	db := storagetest.New(t)
	ctx := context.Background()
	users := storage.NewUsers(db)
	u, err := users.Upsert(ctx, storage.User{Provider: "local", Subject: "bo", DisplayName: "bo"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		verb, ref, role string
		banned          bool
	}{
		{"promote", "local:bo", storage.RoleAdmin, false},
		{"demote", u.ID, storage.RoleBidder, false},
		{"ban", u.ID, storage.RoleBidder, true},
		{"unban", "local:bo", storage.RoleBidder, false},
	} {
		got, done, err := ChangeUser(ctx, users, tc.verb, tc.ref, "shill bidding")
		if err != nil || got.ID != u.ID || done == "" {
			t.Fatalf("%s: %+v %q %v", tc.verb, got, done, err)
		}
		now, err := users.Get(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		banned, err := users.Banned(ctx, u.ID)
		if err != nil || now.Role != tc.role || banned != tc.banned {
			t.Errorf("after %s: role %s, banned %v (%v)", tc.verb, now.Role, banned, err)
		}
	}
	if _, _, err := ChangeUser(ctx, users, "ban", "local:nobody", ""); err == nil {
		t.Error("banned a user who does not exist")
	}
	if _, _, err := ChangeUser(ctx, users, "frobnicate", u.ID, ""); err == nil {
		t.Error("an unknown verb did something")
	}
}
