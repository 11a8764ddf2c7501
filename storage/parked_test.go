package storage_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bidcast/bidcast/storage"
	"github.com/bidcast/bidcast/storage/storagetest"
)

// TestParkUnparkAndAbandon walks a room through parking: a parked room
// leaves LiveRoomIDs, only its current claim may park it, of many wakers
// exactly one unparks it, and the abandon sweep picks each room once.
func TestParkUnparkAndAbandon(t *testing.T) {
	ctx := ctxT(t)
	db := storagetest.New(t)
	rooms := storage.NewRooms(db)
	seller := newSeller(t, db, "parker")
	room, _, err := rooms.Create(ctx, storage.NewRoom{SellerID: seller.ID, Title: "quiet show"})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := rooms.Park(ctx, room.ID, 0, time.Now()); err != nil || ok {
		t.Fatalf("park a scheduled room = %v, %v; want false", ok, err)
	}
	if _, err := rooms.SetStatus(ctx, room.ID, storage.RoomLive); err != nil {
		t.Fatal(err)
	}
	token, err := storage.NewFences(db).RaiseFence(ctx, room.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := rooms.Park(ctx, room.ID, token+1, time.Now()); err != nil || ok {
		t.Fatalf("park with a stale fence = %v, %v; want false", ok, err)
	}
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	if ok, err := rooms.Park(ctx, room.ID, token, t0); err != nil || !ok {
		t.Fatalf("park = %v, %v; want true", ok, err)
	}
	if ok, _ := rooms.Park(ctx, room.ID, token, t0); ok {
		t.Fatal("parked twice")
	}
	live, err := rooms.LiveRoomIDs(ctx)
	if err != nil || slices.Contains(live, room.ID) {
		t.Fatalf("LiveRoomIDs = %v, %v; a parked room must not be listed", live, err)
	}
	if parked, err := rooms.Parked(ctx, room.ID); err != nil || !parked {
		t.Fatalf("Parked = %v, %v", parked, err)
	}

	// Many wakers at once: one wakes it, all learn it is live.
	var mu sync.Mutex
	woke := 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, w, err := rooms.Unpark(ctx, room.ID)
			if err != nil || !l {
				t.Errorf("Unpark = %v, %v, %v", l, w, err)
			}
			if w {
				mu.Lock()
				woke++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if woke != 1 {
		t.Fatalf("%d wakers unparked the room, want 1", woke)
	}
	if live, _ := rooms.LiveRoomIDs(ctx); !slices.Contains(live, room.ID) {
		t.Fatal("a woken room is not listed live")
	}

	// Abandon: only rooms parked before the cut-off, each picked once.
	if _, err := rooms.Park(ctx, room.ID, token, t0); err != nil {
		t.Fatal(err)
	}
	if got, err := rooms.PickAbandoned(ctx, t0, t0.Add(time.Hour), 10); err != nil || len(got) != 0 {
		t.Fatalf("PickAbandoned before it was parked = %v, %v", got, err)
	}
	later := t0.Add(25 * time.Hour)
	got, err := rooms.PickAbandoned(ctx, t0.Add(time.Second), later, 10)
	if err != nil || !slices.Equal(got, []string{room.ID}) {
		t.Fatalf("PickAbandoned = %v, %v", got, err)
	}
	if got, _ := rooms.PickAbandoned(ctx, t0.Add(time.Second), later, 10); len(got) != 0 {
		t.Fatalf("picked twice: %v", got)
	}
	if live, _ := rooms.LiveRoomIDs(ctx); slices.Contains(live, room.ID) {
		t.Fatal("a picked room must stay parked until its picker wakes it")
	}

	// Ended while parked: its keys are swept once, then it is forgotten.
	if _, err := rooms.SetStatus(ctx, room.ID, storage.RoomEnded); err != nil {
		t.Fatal(err)
	}
	if l, w, err := rooms.Unpark(ctx, room.ID); err != nil || l || w {
		t.Fatalf("Unpark an ended room = %v, %v, %v", l, w, err)
	}
	got, err = rooms.PickEndedParked(ctx, later.Add(time.Second), later.Add(time.Minute), 10)
	if err != nil || !slices.Equal(got, []string{room.ID}) {
		t.Fatalf("PickEndedParked = %v, %v", got, err)
	}
	if err := rooms.ForgetParked(ctx, room.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := rooms.PickEndedParked(ctx, later.Add(time.Hour), later.Add(time.Hour), 10); len(got) != 0 {
		t.Fatalf("a forgotten room was picked again: %v", got)
	}

	// Any room that ends is marked for the sweep, parked or not.
	other, _, err := rooms.Create(ctx, storage.NewRoom{SellerID: seller.ID, Title: "busy show"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rooms.SetStatus(ctx, other.ID, storage.RoomLive); err != nil {
		t.Fatal(err)
	}
	if _, err := rooms.SetStatus(ctx, other.ID, storage.RoomEnded); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Add(time.Minute)
	if got, err := rooms.PickEndedParked(ctx, now, now, 10); err != nil || !slices.Equal(got, []string{other.ID}) {
		t.Fatalf("PickEndedParked after an end = %v, %v", got, err)
	}
}
