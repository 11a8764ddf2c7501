package demo

import (
	"context"
	"testing"
	"time"

	"github.com/bidcast/bidcast/storage"
	"github.com/bidcast/bidcast/storage/storagetest"
)

// TestSeedIsIdempotent seeds twice into a fresh schema: the same seller
// and live room, lots only the first time, and a new publish token each
// time (the old one stops working).
func TestSeedIsIdempotent(t *testing.T) {
	db := storagetest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	first, err := Seed(ctx, db, Config{})
	if err != nil {
		t.Fatalf("first seed: %v", err)
	}
	rooms, lots := storage.NewRooms(db), storage.NewLots(db)
	room, err := rooms.Get(ctx, first.RoomID)
	if err != nil || room.Status != storage.RoomLive || !room.Public || room.Title != DefaultTitle ||
		room.SellerID != first.SellerID || !room.GuestsMayBid {
		t.Fatalf("demo room = %+v, %v", room, err)
	}
	before, err := lots.ListByRoom(ctx, first.RoomID)
	if err != nil || len(before) != DefaultBatch {
		t.Fatalf("demo lots = %d, %v; want %d", len(before), err, DefaultBatch)
	}
	for _, l := range before {
		if l.State != "pending" || l.Currency != DefaultCurrency || l.OpeningPrice != DefaultOpening {
			t.Errorf("demo lot = %+v", l)
		}
	}

	second, err := Seed(ctx, db, Config{})
	if err != nil {
		t.Fatalf("second seed: %v", err)
	}
	if second.RoomID != first.RoomID || second.SellerID != first.SellerID {
		t.Errorf("second seed made a new show: %+v then %+v", first, second)
	}
	if after, _ := lots.ListByRoom(ctx, first.RoomID); len(after) != len(before) {
		t.Errorf("second seed added lots: %d then %d", len(before), len(after))
	}
	if second.PublishToken == first.PublishToken {
		t.Error("the publish token was not renewed")
	}
	for token, want := range map[string]bool{first.PublishToken: false, second.PublishToken: true} {
		if ok, err := rooms.CheckPublishToken(ctx, first.RoomID, token); err != nil || ok != want {
			t.Errorf("token valid = %v, %v; want %v", ok, err, want)
		}
	}
	u, err := storage.NewUsers(db).Get(ctx, first.SellerID)
	if err != nil || u.Role != storage.RoleSeller {
		t.Errorf("demo seller = %+v, %v", u, err)
	}
}

// TestSeedReplacesAnEndedRoom ends the demo room: the next seed makes a new
// live room rather than failing.
func TestSeedReplacesAnEndedRoom(t *testing.T) {
	db := storagetest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	first, err := Seed(ctx, db, Config{Batch: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := storage.NewRooms(db).SetStatus(ctx, first.RoomID, storage.RoomEnded); err != nil {
		t.Fatal(err)
	}
	second, err := Seed(ctx, db, Config{Batch: 1})
	if err != nil {
		t.Fatal(err)
	}
	if second.RoomID == first.RoomID || second.SellerID != first.SellerID {
		t.Errorf("after the end: %+v then %+v", first, second)
	}
}

func TestLotRulesAreValid(t *testing.T) {
	for _, length := range []time.Duration{5 * time.Second, DefaultLotLength, time.Hour} {
		if _, err := lotRules(Config{LotLength: length}.withDefaults()); err != nil {
			t.Errorf("lot of %s: %v", length, err)
		}
	}
}

// TestSeedOpensGuestBiddingInAnOlderDemoRoom reseeds a demo room made
// before guest bidding was a room setting: the seed turns it on there.
func TestSeedOpensGuestBiddingInAnOlderDemoRoom(t *testing.T) {
	db := storagetest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	first, err := Seed(ctx, db, Config{Batch: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE rooms SET guests_may_bid = false WHERE id = $1`, first.RoomID); err != nil {
		t.Fatal(err)
	}
	if _, err := Seed(ctx, db, Config{Batch: 1}); err != nil {
		t.Fatal(err)
	}
	if room, err := storage.NewRooms(db).Get(ctx, first.RoomID); err != nil || !room.GuestsMayBid {
		t.Fatalf("reseeded demo room = %+v, %v", room, err)
	}
}
