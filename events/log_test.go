package events

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
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
	snap, at, err := log.Snapshot(ctx, room)
	if err != nil || string(snap) != `{"n":5}` || at != 5 {
		t.Fatalf("snapshot = %s at %d, %v; want {\"n\":5} at 5", snap, at, err)
	}
	// Events trimmed away mean the client must take a snapshot.
	rdb.XTrimMaxLen(ctx, eventStreamKey(room), 1)
	if _, err := log.Since(ctx, room, 1, 100); !errors.Is(err, ErrTooFarBehind) {
		t.Fatalf("Since after trim: err = %v, want ErrTooFarBehind", err)
	}
}

func TestSnapshotRecordsTheSeqItIsCurrentAs(t *testing.T) {
	ctx := context.Background()
	rdb := testRedis(t)
	log := NewRedisLog(rdb)
	room := newUUID()

	if snap, at, err := log.Snapshot(ctx, room); err != nil || snap != nil || at != 0 {
		t.Fatalf("snapshot of a new room = %s at %d, %v", snap, at, err)
	}
	// Events without a snapshot leave the stored one behind them.
	if _, err := log.Publish(ctx, Event{Type: "lot.price", RoomID: room, At: time.Now()}, map[string]int{"n": 1}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := log.Publish(ctx, Event{Type: "lot.price", RoomID: room, At: time.Now()}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if snap, at, err := log.Snapshot(ctx, room); err != nil || string(snap) != `{"n":1}` || at != 1 {
		t.Fatalf("snapshot = %s at %d, %v; want {\"n\":1} at 1", snap, at, err)
	}
	// A batch numbers its events in order and stores the snapshot with the
	// last; it reports how many went out and the last one's seq.
	n, last, err := log.PublishBatch(ctx, []Event{{Type: "lot.price", RoomID: room, At: time.Now()},
		{Type: "lot.price", RoomID: room, At: time.Now()}}, map[string]int{"n": 2})
	if err != nil || n != 2 || last != 5 {
		t.Fatalf("PublishBatch = %d, %d, %v; want 2 events, the last at 5", n, last, err)
	}
	if snap, at, err := log.Snapshot(ctx, room); err != nil || string(snap) != `{"n":2}` || at != 5 {
		t.Fatalf("snapshot after the batch = %s at %d, %v; want {\"n\":2} at 5", snap, at, err)
	}
	if _, err := log.Publish(ctx, Event{Type: "lot.price", RoomID: room, At: time.Now()}, nil); err != nil {
		t.Fatal(err)
	}
	// PutSnapshot brings it up to the latest event.
	if at, err := log.PutSnapshot(ctx, room, map[string]int{"n": 3}); err != nil || at != 6 {
		t.Fatalf("PutSnapshot = %d, %v; want 6", at, err)
	}
	if snap, at, err := log.Snapshot(ctx, room); err != nil || string(snap) != `{"n":3}` || at != 6 {
		t.Fatalf("snapshot = %s at %d, %v; want {\"n\":3} at 6", snap, at, err)
	}
	if at, err := log.SnapshotSeq(ctx, room); err != nil || at != 6 {
		t.Fatalf("SnapshotSeq = %d, %v; want 6", at, err)
	}
	// A snapshot stored without its seq (by an older version) reads as seq 0.
	rdb.Del(ctx, snapshotSeqKey(room))
	if snap, at, err := log.Snapshot(ctx, room); err != nil || string(snap) != `{"n":3}` || at != 0 {
		t.Fatalf("snapshot without seq = %s at %d, %v", snap, at, err)
	}
	if at, err := log.SnapshotSeq(ctx, room); err != nil || at != 0 {
		t.Fatalf("SnapshotSeq without one = %d, %v; want 0", at, err)
	}
	if err := log.Retire(ctx, room, time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, k := range publishKeys(room)[:3] {
		if ttl := rdb.TTL(ctx, k).Val(); ttl <= 0 {
			t.Errorf("%s has no expiry after Retire (ttl %v)", k, ttl)
		}
	}
}

// A Redis restarted without its last writes sets a room's counter back;
// a node still numbers its next events above every seq it has seen, so
// gateways and clients, which drop a seq they already had, do not.
func TestPublishStaysAboveTheSeqsTheNodeSaw(t *testing.T) {
	ctx := context.Background()
	rdb := testRedis(t)
	log := NewRedisLog(rdb)
	room := newUUID()
	for range 5 {
		if _, err := log.Publish(ctx, Event{Type: "lot.price", RoomID: room, At: time.Now()}, nil); err != nil {
			t.Fatal(err)
		}
	}
	lose := func(to int64) {
		t.Helper()
		last, _ := rdb.Get(ctx, eventSeqKey(room)).Int64()
		rdb.Set(ctx, eventSeqKey(room), to, 0)
		for seq := to + 1; seq <= last; seq++ {
			rdb.XDel(ctx, eventStreamKey(room), strconv.FormatInt(seq, 10)+"-0")
		}
	}
	lose(2)
	if seq, err := log.Publish(ctx, Event{Type: "lot.price", RoomID: room, At: time.Now()}, nil); err != nil || seq != 6 {
		t.Fatalf("after the loss Publish = %d, %v; want 6", seq, err)
	}
	lose(3)
	n, last, err := log.PublishBatch(ctx, []Event{{Type: "lot.price", RoomID: room, At: time.Now()},
		{Type: "lot.price", RoomID: room, At: time.Now()}}, nil)
	if err != nil || n != 2 || last != 8 {
		t.Fatalf("after the loss PublishBatch = %d, %d, %v; want 2 events, the last at 8", n, last, err)
	}
	// Another node knows only what its gateway relayed (Observe).
	other := NewRedisLog(rdb)
	other.Observe(room, 20)
	if seq, err := other.Publish(ctx, Event{Type: "chat.message", RoomID: room, At: time.Now()}, nil); err != nil || seq != 21 {
		t.Fatalf("Publish after Observe(20) = %d, %v; want 21", seq, err)
	}
	if evs, err := log.Since(ctx, room, 20, 10); err != nil || len(evs) != 1 || evs[0].Seq != 21 {
		t.Fatalf("Since(20) = %+v, %v; want the event at 21 alone", evs, err)
	}
	// The numbers skipped were never events: a client behind them resyncs.
	if _, err := log.Since(ctx, room, 8, 10); !errors.Is(err, ErrTooFarBehind) {
		t.Fatalf("Since(8) across the skipped numbers: err = %v, want ErrTooFarBehind", err)
	}
}
