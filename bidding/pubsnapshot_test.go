package bidding

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/events"
)

// snapCountingLog is the real Redis log, counting the snapshots stored
// with a batch of events and on their own.
type snapCountingLog struct {
	*events.RedisLog
	redis           redis.UniversalClient
	attached, alone atomic.Int64
}

func (l *snapCountingLog) Publish(ctx context.Context, ev events.Event, snap any) (int64, error) {
	if snap != nil {
		l.attached.Add(1)
	}
	return l.RedisLog.Publish(ctx, ev, snap)
}

func (l *snapCountingLog) PublishBatch(ctx context.Context, evs []events.Event, snap any) (int, int64, error) {
	if snap != nil {
		l.attached.Add(1)
	}
	return l.RedisLog.PublishBatch(ctx, evs, snap)
}

func (l *snapCountingLog) PutSnapshot(ctx context.Context, roomID string, snap any) (int64, error) {
	l.alone.Add(1)
	return l.RedisLog.PutSnapshot(ctx, roomID, snap)
}

// snapshotTestPublisher is a room's publisher whose actor state is the
// number of events emitted so far (as EventSeq).
func snapshotTestPublisher(t *testing.T) (*publisher, *snapCountingLog, *atomic.Int64) {
	room := newUUID()
	rdb := testRedis(t)
	log := &snapCountingLog{RedisLog: events.NewRedisLog(rdb), redis: rdb}
	p := newPublisher(room, log, events.NewAliases(nil), quietLog(), nil)
	emitted := &atomic.Int64{}
	p.snapshot = func(context.Context) (auction.Snapshot, error) {
		return auction.Snapshot{RoomID: room, EventSeq: emitted.Load()}, nil
	}
	return p, log, emitted
}

func clockEvent(room string, n int64) auction.Event {
	return auction.Event{Type: auction.EventClock, RoomID: room, Seq: n, At: time.Now(),
		Deadline: time.Now().Add(time.Minute)}
}

func TestBusyRoomStoresItsSnapshotEveryFewEvents(t *testing.T) {
	p, log, emitted := snapshotTestPublisher(t)
	p.snapEvery, p.snapMaxEvents = time.Hour, 10
	ctx := context.Background()
	for n := int64(1); n <= 30; n++ {
		emitted.Store(n)
		p.publishBatch(ctx, []pubItem{{ev: clockEvent(p.roomID, n)}})
	}
	// The first batch, then each after ten more events went out.
	if got := log.attached.Load(); got != 3 {
		t.Fatalf("snapshots stored with 30 batches: %d, want 3", got)
	}
	state, at, err := log.Snapshot(ctx, p.roomID)
	if err != nil || at != 21 || !p.snapBehind {
		t.Fatalf("stored snapshot at %d (%v), behind %v; want at 21 and behind", at, err, p.snapBehind)
	}
	var s events.PublicSnapshot
	if err := json.Unmarshal(state, &s); err != nil || s.EventSeq != 21 {
		t.Fatalf("stored state %s (%v), want the actor's as of event 21", state, err)
	}
}

func TestQuietRoomBringsItsSnapshotUpToDate(t *testing.T) {
	p, log, emitted := snapshotTestPublisher(t)
	p.snapEvery = time.Hour
	ctx := context.Background()
	// Five events, the snapshot stored with the first only.
	for n := int64(1); n <= 5; n++ {
		emitted.Store(n)
		p.publishBatch(ctx, []pubItem{{ev: clockEvent(p.roomID, n)}})
	}
	if _, at, err := log.Snapshot(ctx, p.roomID); err != nil || at != 1 || !p.snapBehind {
		t.Fatalf("stored snapshot at %d (%v), behind %v; want at 1 and behind", at, err, p.snapBehind)
	}
	// Then nothing: the running publisher stores it again on its own.
	p.snapEvery = 20 * time.Millisecond
	go p.run()
	defer p.close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		state, at, err := log.Snapshot(ctx, p.roomID)
		var s events.PublicSnapshot
		if err == nil && at == 5 && json.Unmarshal(state, &s) == nil && s.EventSeq == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stored snapshot %s at %d (%v); want the state of event 5 at 5", state, at, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := log.alone.Load(); n != 1 {
		t.Fatalf("snapshots stored alone: %d, want 1", n)
	}
}

// awaitStoredSnapshot waits until Redis has the room's snapshot as of
// event seq at, with the actor's state as of event n.
func awaitStoredSnapshot(t *testing.T, log *snapCountingLog, room string, at, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		state, got, err := log.Snapshot(context.Background(), room)
		var s events.PublicSnapshot
		if err == nil && got == at && json.Unmarshal(state, &s) == nil && s.EventSeq == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stored snapshot %s at %d (%v); want the state of event %d at %d", state, got, err, n, at)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A Redis restarted without its last second of writes may lose the
// snapshot the owner stored last; the owner notices and stores it again
// without waiting for the room's next event.
func TestLostSnapshotIsStoredAgain(t *testing.T) {
	p, log, emitted := snapshotTestPublisher(t)
	ctx := context.Background()
	emitted.Store(1)
	p.publishBatch(ctx, []pubItem{{ev: clockEvent(p.roomID, 1)}})
	if p.storedSeq != 1 {
		t.Fatalf("stored seq %d after the first batch, want 1", p.storedSeq)
	}
	p.snapCheck = 10 * time.Millisecond
	go p.run()
	defer p.close()
	awaitStoredSnapshot(t, log, p.roomID, 1, 1)

	// Redis loses the snapshot (and its seq), as a restart that missed
	// the last fsync would.
	if err := log.redis.Del(ctx, "bidcast:{"+p.roomID+"}:snapshot", "bidcast:{"+p.roomID+"}:snapseq").Err(); err != nil {
		t.Fatal(err)
	}
	awaitStoredSnapshot(t, log, p.roomID, 1, 1)
	if n := log.alone.Load(); n < 1 {
		t.Fatalf("snapshots stored alone: %d, want the one after the loss", n)
	}
}
