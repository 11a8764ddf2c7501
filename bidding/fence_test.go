package bidding

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bidcast/bidcast/events"
	"github.com/bidcast/bidcast/storage"
)

// logBuffer collects a logger's lines, safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) contains(s string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Contains(b.buf.String(), s)
}

// startClaimed runs the show's room on a node of its own (rooms sharing the
// show's configuration, Postgres and Redis) for the claim with the given
// fencing token, as Node does, and makes it the show's room.
func (s *liveShow) startClaimed(token int64, log *slog.Logger) RunningRoom {
	s.t.Helper()
	rooms := NewRooms(s.rooms.cfg, s.db, s.rdb, events.NewRedisLog(s.rdb), s.out, log)
	ctx := withFence(context.Background(), Fence{RoomID: s.roomID, Token: token})
	running, err := rooms.StartRoom(ctx, s.roomID)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(running.Stop)
	s.room, _ = rooms.Get(s.roomID)
	return running
}

// TestStaleOwnerCannotCommitABid runs TestFenceStopsStaleOwnerCommit's
// rule through a real room: once another claim raised the room's fence, the
// old owner (which has not noticed yet) commits neither a bid nor a seller's
// command, writes nothing, loses no bid, and the new owner decides the bid.
func TestStaleOwnerCannotCommitABid(t *testing.T) {
	s := startLiveShow(t, "soft-close", 10*time.Minute)
	ctx := context.Background()
	fences := storage.NewFences(s.db)
	raise := func() int64 {
		n, err := fences.RaiseFence(ctx, s.roomID)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	s.room.Stop()
	logs := &logBuffer{}
	stale := s.startClaimed(raise(), slog.New(slog.NewTextHandler(logs, nil)))

	// The owner commits while its claim is current.
	s.submit(0, "owner-1", 10_000)
	if got := s.outcomeOf(0, "owner-1"); got.Status != StatusAccepted {
		t.Fatalf("the owner's bid: %s/%s, want accepted", got.Status, got.Reason)
	}
	before := s.storedLot()

	// Another node claims the room; this one has not noticed yet.
	newToken := raise()
	if err := s.room.Actor().Pause(ctx, s.lotID); !errors.Is(err, storage.ErrFenced) {
		t.Fatalf("the stale owner's pause = %v, want ErrFenced", err)
	}
	amount := s.nextMinimum()
	s.submit(1, "stale-1", amount)
	waitFor(t, "the stale owner's commit to be fenced", func() bool {
		return logs.contains(fmt.Sprint(storage.ErrFenced))
	})
	if _, ok, err := storage.NewBids(s.db).FindByBidID(ctx, s.bidders[1], "stale-1"); ok || err != nil {
		t.Fatalf("the stale owner stored the bid (%v, %v)", ok, err)
	}
	if after := s.storedLot(); after.Version != before.Version || after.State != before.State {
		t.Fatalf("the stale owner changed the lot: version %d → %d, %s → %s", before.Version, after.Version,
			before.State, after.State)
	}
	if _, done := s.decided(s.bidders[1], "stale-1"); done {
		t.Fatal("a bid the stale owner could not commit was decided")
	}

	// The node stops the room at its next renewal; the new owner decides
	// the bid, which stayed in the room's log.
	stale.Stop()
	s.startClaimed(newToken, quietLog())
	if got := s.outcomeOf(1, "stale-1"); got.Status != StatusAccepted {
		t.Fatalf("the bid after the takeover: %s/%s, want accepted", got.Status, got.Reason)
	}
	rec, ok, err := storage.NewBids(s.db).FindByBidID(ctx, s.bidders[1], "stale-1")
	if err != nil || !ok || rec.Amount != amount || rec.Outcome != storage.OutcomeAccepted {
		t.Fatalf("stored bid = %+v, %v, %v", rec, ok, err)
	}
	if after := s.storedLot(); after.LeaderID == nil || *after.LeaderID != s.bidders[1] {
		t.Fatalf("stored leader %v, want bidder 1", after.LeaderID)
	}
}
