package demo

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/storage"
	"github.com/bidcast/bidcast/storage/storagetest"
)

// fakeRoom is a demo room's running instance: it reads the pending lots
// from Postgres and remembers which it was told to start.
type fakeRoom struct {
	db      *storage.DB
	roomID  string
	mu      sync.Mutex
	running bool
	started []string
}

func (f *fakeRoom) LotRunning(context.Context) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.running, nil
}

func (f *fakeRoom) NextPendingLot(ctx context.Context) (string, bool, error) {
	lots, err := storage.NewLots(f.db).ListByRoom(ctx, f.roomID)
	if err != nil {
		return "", false, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range lots {
		if l.State == "pending" && !slices.Contains(f.started, l.ID) {
			return l.ID, true, nil
		}
	}
	return "", false, nil
}

func (f *fakeRoom) StartLot(_ context.Context, lotID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = append(f.started, lotID)
	f.running = true
	return nil
}

// close ends the running lot, as the actor's timer would.
func (f *fakeRoom) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running = false
}

func (f *fakeRoom) startedCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.started)
}

// TestAutopilotKeepsALotRunning: the first lot starts at once, nothing
// starts while it runs, the next starts a pause after it closes, and a new
// batch is added when the queue is empty.
func TestAutopilotKeepsALotRunning(t *testing.T) {
	db := storagetest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := Config{Batch: 2, Pause: 50 * time.Millisecond}
	show, err := Seed(ctx, db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	room := &fakeRoom{db: db, roomID: show.RoomID}
	claimed := false
	lookup := func(string) (LiveRoom, bool) {
		if !claimed { // the first look finds the room not claimed yet
			claimed = true
			return nil, false
		}
		return room, true
	}
	pilot := NewAutopilot(db, show, cfg, lookup, slog.New(slog.NewTextHandler(io.Discard, nil)))
	pilot.Check = 20 * time.Millisecond
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); pilot.Run(runCtx) }()
	defer func() { stop(); <-done }()

	waitFor(t, "the first lot", func() bool { return room.startedCount() == 1 })
	time.Sleep(100 * time.Millisecond)
	if n := room.startedCount(); n != 1 {
		t.Fatalf("%d lots started while one was running", n)
	}
	for want := 2; want <= 3; want++ { // the seeded second lot, then one of a new batch
		room.close()
		pilot.OnEvent(show.RoomID, auction.Event{Type: auction.EventLotClosed})
		pilot.OnEvent("another-room", auction.Event{Type: auction.EventLotClosed}) // ignored
		waitFor(t, "the next lot", func() bool { return room.startedCount() == want })
	}
	lots, err := storage.NewLots(db).ListByRoom(ctx, show.RoomID)
	if err != nil || len(lots) != 4 {
		t.Fatalf("lots after the queue ran dry = %d, %v; want 4", len(lots), err)
	}
	room.mu.Lock()
	started := slices.Clone(room.started)
	room.mu.Unlock()
	if started[2] != lots[2].ID {
		t.Errorf("started %v, want the first lot of the new batch %s", started, lots[2].ID)
	}
}

// TestOnEventNeverBlocks sends many close events with nobody reading.
func TestOnEventNeverBlocks(t *testing.T) {
	pilot := NewAutopilot(nil, Show{RoomID: "r"}, Config{}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for range 100 {
		pilot.OnEvent("r", auction.Event{Type: auction.EventLotClosed})
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
