package events

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestRedisLogNumbersResumesAndSnapshots(t *testing.T) {
	ctx := context.Background()
	rdb := testRedis(t)
	log := NewRedisLog(rdb)
	room := newUUID()

	sub := rdb.Subscribe(ctx, Channel(room))
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		seq, err := log.Publish(ctx, Event{Type: "bid.accepted", RoomID: room, At: time.Now().UTC(),
			Data: json.RawMessage(`{"amount":` + string(rune('0'+i)) + `}`)}, map[string]int{"n": i})
		if err != nil || seq != int64(i) {
			t.Fatalf("publish %d = %d, %v", i, seq, err)
		}
	}
	msg, err := sub.ReceiveMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first, err := Decode(msg.Payload)
	if err != nil || first.Seq != 1 || first.Type != "bid.accepted" || string(first.Data) != `{"amount":1}` {
		t.Fatalf("first published event = %+v, %v", first, err)
	}
	evs, err := log.Since(ctx, room, 2, 100)
	if err != nil || len(evs) != 3 || evs[0].Seq != 3 || evs[2].Seq != 5 {
		t.Fatalf("Since(2) = %+v, %v", evs, err)
	}
	if evs, err := log.Since(ctx, room, 5, 100); err != nil || len(evs) != 0 {
		t.Fatalf("Since(latest) = %+v, %v", evs, err)
	}
	snap, err := log.Snapshot(ctx, room)
	if err != nil || string(snap) != `{"n":5}` {
		t.Fatalf("snapshot = %s, %v", snap, err)
	}
	// Events trimmed away mean the client must take a snapshot.
	rdb.XTrimMaxLen(ctx, eventStreamKey(room), 1)
	if _, err := log.Since(ctx, room, 1, 100); !errors.Is(err, ErrTooFarBehind) {
		t.Fatalf("Since after trim: err = %v, want ErrTooFarBehind", err)
	}
}
