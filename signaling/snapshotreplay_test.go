package signaling

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/bidcast/bidcast/events"
)

// A busy room's owner stores its snapshot only now and then: a joiner gets
// the stored snapshot at the seq it includes, then the room events after
// it (not chat, which the snapshot's chat already has, nor events private
// to others), then the ack at the log's latest seq.
func TestJoinReplaysTheEventsAfterAStoredSnapshot(t *testing.T) {
	e := newEnv(t)
	_, srv := e.gateway(nil)
	ctx := context.Background()
	at, err := e.events.Publish(ctx, events.Event{Type: "lot.started", RoomID: e.room.ID, At: time.Now().UTC()},
		map[string]int{"price": 1})
	if err != nil {
		t.Fatal(err)
	}
	bobID := e.user("bob").ID
	talker := dial(t, srv, "talker")
	talker.join(e.room.ID)
	say := func(text string) {
		talker.send(TypeChatSend, ChatSendData{Text: text})
		talker.next() // the ack and the chat.message, in either order
		talker.next()
	}
	say("before the bids")
	first := e.publish("lot.price", "", map[string]int{"price": 2})
	e.publish("bid.rejected", newUUID(), map[string]string{"reason": "too_low"}) // someone else's
	own := e.publish("bid.rejected", bobID, map[string]string{"reason": "too_low"})
	say("after the bids")
	last := e.publish("lot.price", "", map[string]int{"price": 3})

	bob := dial(t, srv, "bob")
	id := bob.send(TypeJoin, JoinData{RoomID: e.room.ID})
	snap := decodeAs[SnapshotData](t, bob.expect(TypeSnapshot))
	if snap.Seq != first-1 || snap.Seq < at || string(snap.State) != `{"price":1}` {
		t.Fatalf("snapshot at %d with %s, want the stored state at %d", snap.Seq, snap.State, first-1)
	}
	if len(snap.Chat) != 2 || snap.Chat[1].Text != "after the bids" {
		t.Fatalf("snapshot chat = %+v, want both messages", snap.Chat)
	}
	for _, want := range []int64{first, own, last} {
		env := bob.next()
		if env.Seq != want {
			t.Fatalf("replayed %s at %d, want seq %d", env.Type, env.Seq, want)
		}
	}
	ackEnv := bob.expect(TypeAck)
	if ack := decodeAs[JoinAckData](t, ackEnv); ackEnv.ID != id || ack.Resumed || ack.Seq != last {
		t.Fatalf("join ack = %+v, want seq %d", ack, last)
	}

	// Once the owner stores it again, a joiner needs no replay.
	if _, err := e.events.PutSnapshot(ctx, e.room.ID, json.RawMessage(`{"price":3}`)); err != nil {
		t.Fatal(err)
	}
	carol := dial(t, srv, "carol")
	if snap := carol.join(e.room.ID); snap.Seq != last || string(snap.State) != `{"price":3}` {
		t.Fatalf("snapshot at %d with %s, want the new one at %d", snap.Seq, snap.State, last)
	}
}
