package storage_test

import (
	"errors"
	"testing"

	"github.com/bidcast/bidcast/storage"
	"github.com/bidcast/bidcast/storage/storagetest"
)

// TestFollowsAndSellerLive follows sellers (twice is once; not oneself,
// not a bidder, not an unknown id), lists them with the live room, and
// takes a room live: each follower, and no one else, gets one seller_live
// notification naming the room and no lot, in the same transaction.
func TestFollowsAndSellerLive(t *testing.T) {
	ctx := ctxT(t)
	db := storagetest.New(t)
	follows, rooms, notes := storage.NewFollows(db), storage.NewRooms(db), storage.NewNotifications(db)
	sam, sue := newSeller(t, db, "sam"), newSeller(t, db, "sue")
	users := storage.NewUsers(db)
	ann, _ := users.Upsert(ctx, storage.User{Provider: "guest", Subject: "ann", DisplayName: "Ann"})
	bob, _ := users.Upsert(ctx, storage.User{Provider: "guest", Subject: "bob", DisplayName: "Bob"})

	for _, tc := range []struct {
		follower, seller string
		want             error
	}{
		{ann.ID, sam.ID, nil},
		{ann.ID, sam.ID, nil}, // again: still one row
		{ann.ID, sue.ID, nil},
		{sue.ID, sam.ID, nil}, // sellers may follow sellers
		{sam.ID, sam.ID, storage.ErrInvalid},
		{ann.ID, bob.ID, storage.ErrNotFound}, // not a seller
		{ann.ID, "00000000-0000-0000-0000-000000000000", storage.ErrNotFound},
		{ann.ID, "not-an-id", storage.ErrNotFound},
	} {
		if err := follows.Follow(ctx, tc.follower, tc.seller); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("Follow(%s, %s) = %v, want %v", tc.follower, tc.seller, err, tc.want)
		}
	}
	if n, _ := follows.Followers(ctx, sam.ID); n != 2 {
		t.Errorf("sam has %d followers, want 2", n)
	}

	room, _, err := rooms.Create(ctx, storage.NewRoom{SellerID: sam.ID, Title: "Sam's cameras", Public: true})
	if err != nil {
		t.Fatal(err)
	}
	live, told, err := rooms.GoLive(ctx, room.ID)
	if err != nil || live.Status != storage.RoomLive || told != 2 {
		t.Fatalf("GoLive = %+v, told %d, %v; want live, 2 told", live, told, err)
	}
	for _, u := range []storage.User{ann, sue} {
		got, err := notes.ListAfter(ctx, u.ID, nil, 10)
		if err != nil || len(got) != 1 {
			t.Fatalf("%s's notifications = %+v, %v; want one", u.DisplayName, got, err)
		}
		if n := got[0]; n.Kind != storage.NotifySellerLive || n.RoomID != room.ID || n.LotID != "" || n.RoomTitle != "Sam's cameras" {
			t.Errorf("%s's notification = %+v", u.DisplayName, n)
		}
	}
	if got, _ := notes.ListAfter(ctx, bob.ID, nil, 10); len(got) != 0 {
		t.Errorf("bob follows no one, yet got %+v", got)
	}
	list, err := follows.ListAfter(ctx, ann.ID, nil, 10)
	if err != nil || len(list) != 2 || list[0].SellerID != sue.ID || list[1].SellerID != sam.ID || list[1].LiveRoomID != room.ID || list[0].LiveRoomID != "" {
		t.Errorf("ann follows %+v, %v; want sue (not live) then sam (live in %s)", list, err, room.ID)
	}

	// Unfollowing, and an ended room never goes live again.
	if ok, err := follows.Unfollow(ctx, ann.ID, sam.ID); !ok || err != nil {
		t.Errorf("Unfollow = %v, %v", ok, err)
	}
	if ok, _ := follows.Unfollow(ctx, ann.ID, sam.ID); ok {
		t.Errorf("a second Unfollow reported a change")
	}
	if _, err := rooms.SetStatus(ctx, room.ID, storage.RoomEnded); err != nil {
		t.Fatal(err)
	}
	if _, _, err := rooms.GoLive(ctx, room.ID); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("GoLive of an ended room = %v, want ErrConflict", err)
	}
}
