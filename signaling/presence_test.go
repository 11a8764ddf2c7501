package signaling

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/bidcast/bidcast/storage"
)

// recordingWaker records the rooms it is asked to wake.
type recordingWaker struct {
	mu    sync.Mutex
	rooms []string
}

func (w *recordingWaker) Wake(roomID string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.rooms = append(w.rooms, roomID)
}

func (w *recordingWaker) woken() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.rooms...)
}

// TestJoinWakesTheRoomAndCountsAsPresence: joining a room asks the bid
// pipeline to wake it (a parked room runs again), and while someone is
// connected, here or on another node, the room is present.
func TestJoinWakesTheRoomAndCountsAsPresence(t *testing.T) {
	e := newEnv(t)
	room := e.newRoom(storage.RoomLive)
	w := &recordingWaker{}
	g, srv := e.gatewayWith(nil, func(d *Deps) { d.Waker = w })
	ctx := context.Background()
	if here, err := g.Present(ctx, room.ID); err != nil || here {
		t.Fatalf("Present before anyone joined = %v, %v", here, err)
	}
	c := dial(t, srv, "ann")
	c.join(room.ID)
	if got := w.woken(); len(got) != 1 || got[0] != room.ID {
		t.Fatalf("woken rooms = %v, want [%s]", got, room.ID)
	}
	if here, err := g.Present(ctx, room.ID); err != nil || !here {
		t.Fatalf("Present with a connection here = %v, %v", here, err)
	}

	// Another node's fresh count is presence too; a stale one is not.
	other := e.newRoom(storage.RoomLive)
	fresh := strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10)
	stale := strconv.FormatInt(time.Now().Add(-time.Minute).UnixMilli(), 10)
	if err := e.rdb.HSet(ctx, viewersKey(other.ID), "node-x", "2:"+stale).Err(); err != nil {
		t.Fatal(err)
	}
	if here, _ := g.Present(ctx, other.ID); here {
		t.Fatal("a stale count from a dead node counted as presence")
	}
	if err := e.rdb.HSet(ctx, viewersKey(other.ID), "node-y", "1:"+fresh).Err(); err != nil {
		t.Fatal(err)
	}
	if here, _ := g.Present(ctx, other.ID); !here {
		t.Fatal("a viewer on another node did not count as presence")
	}
	_ = e.rdb.Del(ctx, viewersKey(other.ID)).Err()
}
