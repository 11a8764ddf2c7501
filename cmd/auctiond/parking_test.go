package main

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/bidcast/bidcast/sfu"
	"github.com/bidcast/bidcast/storage"
)

type wakeLog []string

func (w *wakeLog) Wake(roomID string) { *w = append(*w, roomID) }

// TestMediaWakesParkedRooms: a publisher or viewer let in over WHIP or
// WHEP wakes the room; one refused does not.
func TestMediaWakesParkedRooms(t *testing.T) {
	authz := &sfu.StaticAuthorizer{}
	authz.SetRoom("r1", "pub", "")
	var woke wakeLog
	m := wakingMedia{Authorizer: authz, waker: &woke}
	ctx := context.Background()
	if err := m.AuthorizePublish(ctx, "r1", "wrong"); err == nil {
		t.Fatal("a wrong publish token was let in")
	}
	if err := m.AuthorizeView(ctx, "nope", ""); err == nil {
		t.Fatal("a viewer of an unknown room was let in")
	}
	if len(woke) != 0 {
		t.Fatalf("refused requests woke %v", woke)
	}
	if err := m.AuthorizePublish(ctx, "r1", "pub"); err != nil {
		t.Fatal(err)
	}
	if err := m.AuthorizeView(ctx, "r1", ""); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(woke, []string{"r1", "r1"}) {
		t.Fatalf("woken = %v, want r1 twice", woke)
	}
}

// TestParkedRoomWakesForAViewer runs parking through the wired server: a
// live room nobody is in parks after ROOM_PARK_AFTER, a guest joining over
// the WebSocket wakes it, the seller starts a lot and the guest's bid is
// accepted; when everyone has left it parks again.
func TestParkedRoomWakesForAViewer(t *testing.T) {
	e := newShowWith(t, "", quiet(), map[string]string{"ROOM_PARK_AFTER": "1s"}, 1, time.Minute)
	e.goLive()
	rooms := storage.NewRooms(e.app.db)
	ctx := context.Background()
	isParked := func() bool {
		p, err := rooms.Parked(ctx, e.room.RoomID)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	waitForCond(t, "the empty room to park", 30*time.Second, isParked)
	if owned := e.app.svc.node.Owned(); len(owned) != 0 {
		t.Fatalf("the node still runs %v", owned)
	}

	alice := e.guest("alice").dial()
	alice.request("join", map[string]any{"room_id": e.room.RoomID})
	waitForCond(t, "the join to wake the room", 10*time.Second, func() bool {
		return !isParked() && len(e.app.svc.node.Owned()) == 1
	})
	sws := e.seller.dial()
	sws.request("join", map[string]any{"room_id": e.room.RoomID})
	sws.request("lot.start", map[string]any{"lot_id": e.room.LotIDs[0]})
	alice.await("lot.started", isEvent("lot.started"))
	alice.request("bid.place", map[string]any{"lot_id": e.room.LotIDs[0], "amount": 10_000, "currency": "KRW", "bid_id": "a-1"})
	alice.await("alice's bid accepted", isEvent("bid.accepted"))

	// A running lot never parks; once it ends and everyone leaves, the
	// room parks again.
	sws.request("lot.end", map[string]any{})
	alice.await("lot closed", isEvent("lot.closed"))
	alice.conn.Close(websocket.StatusNormalClosure, "")
	sws.conn.Close(websocket.StatusNormalClosure, "")
	waitForCond(t, "the room to park again", 30*time.Second, isParked)
}
