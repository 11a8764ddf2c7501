package bidding

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/storage"
)

// Rooms that end: abandoned after parking, or ended by their seller, and
// what they leave in Redis.

// permanentKeys lists the room's Redis keys that have no expiry.
func permanentKeys(t testing.TB, rdb redis.UniversalClient, roomID string) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for _, pattern := range []string{"*{" + roomID + "}*", "*{room:" + roomID + "}*"} {
		iter := rdb.Scan(ctx, 0, pattern, 1000).Iterator()
		for iter.Next(ctx) {
			if ttl, err := rdb.PTTL(ctx, iter.Val()).Result(); err == nil && ttl == -1 {
				out = append(out, iter.Val())
			}
		}
		if err := iter.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestAbandonedRoomEnds parks a room whose paused lot has a leader and
// lets ROOM_ABANDON_AFTER pass: the sweep ends the lot by the usual rules
// (sold to the leader), ends the room, and leaves no key without expiry.
func TestAbandonedRoomEnds(t *testing.T) {
	s, a := parkShow(t, nil)
	ctx := context.Background()
	amount := a.nextMinimum(t, s.roomID)
	if out := s.outcomeOf(0, s.submitVia(a.ingress, 0, "leader", amount).Bid.BidID); out.Status != StatusAccepted {
		t.Fatalf("leading bid: %+v", out)
	}
	if err := a.cmds.Run(ctx, s.roomID, Command{Type: CommandLotPause}); err != nil {
		t.Fatal(err)
	}
	parkNow(s, a)
	if !parked(t, s) {
		t.Fatal("not parked")
	}
	s.clock.Advance(23 * time.Hour)
	a.node.sweep(ctx)
	if room, _ := storage.NewRooms(s.db).Get(ctx, s.roomID); room.Status != storage.RoomLive {
		t.Fatalf("room %s before ROOM_ABANDON_AFTER", room.Status)
	}
	s.clock.Advance(2 * time.Hour)
	a.node.sweep(ctx)
	room, err := storage.NewRooms(s.db).Get(ctx, s.roomID)
	if err != nil || room.Status != storage.RoomEnded {
		t.Fatalf("abandoned room: %s, %v", room.Status, err)
	}
	lot, err := storage.NewLots(s.db).Get(ctx, s.lotID)
	if err != nil || lot.State != string(auction.StatusSold) {
		t.Fatalf("abandoned room's lot: %s, %v", lot.State, err)
	}
	res, err := storage.NewLots(s.db).GetResult(ctx, s.lotID)
	if err != nil || res.WinnerID == nil || *res.WinnerID != s.bidders[0] {
		t.Fatalf("abandoned lot's result: %+v, %v", res, err)
	}
	if a.owns(s.roomID) {
		t.Fatal("an ended room is still running")
	}
	if keys := permanentKeys(t, s.rdb, s.roomID); len(keys) > 0 {
		t.Fatalf("the ended room left keys without expiry: %v", keys)
	}
}

// TestEndedRoomLeavesNoPermanentKeys ends a room the ways a seller can:
// while it runs (the node's scan stops it) and while it is parked (the
// sweep finds it); neither leaves a key without expiry, nor Asynq tasks.
func TestEndedRoomLeavesNoPermanentKeys(t *testing.T) {
	for _, whileParked := range []bool{false, true} {
		name := "running"
		if whileParked {
			name = "parked"
		}
		t.Run(name, func(t *testing.T) {
			s, a := parkShow(t, nil)
			ctx := context.Background()
			out := s.outcomeOf(0, s.submitVia(a.ingress, 0, "one", a.nextMinimum(t, s.roomID)).Bid.BidID)
			if out.Status != StatusAccepted {
				t.Fatalf("bid: %+v", out)
			}
			if whileParked {
				if err := a.cmds.Run(ctx, s.roomID, Command{Type: CommandLotPause}); err != nil {
					t.Fatal(err)
				}
				parkNow(s, a)
				if !parked(t, s) {
					t.Fatal("not parked")
				}
			}
			if _, err := storage.NewRooms(s.db).SetStatus(ctx, s.roomID, storage.RoomEnded); err != nil {
				t.Fatal(err)
			}
			if whileParked {
				s.clock.Advance(2 * time.Hour)
				a.node.sweep(ctx)
			} else {
				a.node.claim(ctx)
			}
			if a.owns(s.roomID) {
				t.Fatal("an ended room is still running")
			}
			if keys := permanentKeys(t, s.rdb, s.roomID); len(keys) > 0 {
				t.Fatalf("the ended room left keys without expiry: %v", keys)
			}
			// A bid that reaches ingress now (a gateway whose room cache
			// still says live) is refused, not sequenced for nobody; a
			// retry of the bid decided before the end still gets its
			// outcome.
			_, err := a.ingress.Submit(ctx, Bid{RoomID: s.roomID, LotID: s.lotID, BidID: "late",
				BidderID: s.bidders[1], Amount: 1_000_000, Currency: "KRW", Kind: KindBid})
			if !errors.Is(err, ErrRoomEnded) {
				t.Fatalf("a bid after the room's end: %v, want ErrRoomEnded", err)
			}
			if n, err := s.rdb.Exists(ctx, seqKey(s.roomID)).Result(); err != nil || n != 0 {
				t.Fatalf("the refused bid was sequenced (counter exists: %d, %v)", n, err)
			}
			if rc := s.submitVia(a.ingress, 0, "one", 1); !rc.Duplicate || rc.Outcome.Status != StatusAccepted {
				t.Fatalf("retry of the decided bid: %+v", rc)
			}
		})
	}
}
