package bidding

import (
	"context"
	"testing"
	"time"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/events"
	"github.com/bidcast/bidcast/storage"
)

// runOnNode stops the show's own room instance and runs the room on a node
// wired as cmd/auctiond wires it (a room whose actor falls behind Postgres
// is restarted by the node), until the test ends.
func (s *liveShow) runOnNode() *Node {
	s.t.Helper()
	s.room.Stop()
	var n *Node
	rooms := NewRooms(RoomsConfig{Clock: s.clock, Actor: auction.Config{Grace: 500 * time.Millisecond},
		Pipeline: PipelineConfig{TaskCheckInterval: 100 * time.Millisecond},
		OnBroken: func(id string) { n.Restart(id) }},
		s.db, s.rdb, events.NewRedisLog(s.rdb), s.out, quietLog())
	n, err := NewNode(NodeConfig{NodeID: "d-" + s.roomID[:8], Fences: storage.NewFences(s.db)}, s.rdb,
		staticRooms{s.roomID}, rooms, quietLog())
	if err != nil {
		s.t.Fatal(err)
	}
	runUntilCleanup(s.t, n.Run)
	waitFor(s.t, "the node to run the room", func() bool { return len(n.Owned()) == 1 })
	return n
}

// loseACommitAnswer puts the stored lot one version ahead of the room's
// actor, as a commit that Postgres stored but never answered (it went down
// in between: the crash test's `pg_ctl -m immediate`) leaves it.
func (s *liveShow) loseACommitAnswer() {
	s.t.Helper()
	if _, err := s.db.Pool.Exec(context.Background(), `UPDATE lots SET version = version + 1 WHERE id = $1`,
		s.lotID); err != nil {
		s.t.Fatal(err)
	}
}

// TestRoomBehindPostgresIsReloaded: once the actor is behind the stored
// lot, every commit of the room fails its version check. The room must not
// stop deciding bids or stay unclosed: the node reloads it from Postgres,
// and the bid, or the close, goes through.
func TestRoomBehindPostgresIsReloaded(t *testing.T) {
	t.Run("a batch of bids", func(t *testing.T) {
		s := startLiveShow(t, "soft-close", 10*time.Minute)
		first := s.nextMinimum()
		s.runOnNode()
		if out := s.outcome(s.submit(0, newUUID(), first).Bid.BidID); out.Status != StatusAccepted {
			t.Fatalf("first bid: %+v", out)
		}
		s.loseACommitAnswer()
		before := s.storedLot().Version
		second := 2 * first
		if out := s.outcome(s.submit(1, newUUID(), second).Bid.BidID); out.Status != StatusAccepted {
			t.Fatalf("bid after the lost answer: %s/%s, want accepted", out.Status, out.Reason)
		}
		l := s.storedLot()
		if l.HighBid == nil || *l.HighBid != second || l.LeaderID == nil || *l.LeaderID != s.bidders[1] ||
			l.Version != before+1 {
			t.Fatalf("stored lot: high %v by %v at version %d, want %d by bidder 1 at version %d",
				l.HighBid, l.LeaderID, l.Version, second, before+1)
		}
	})
	t.Run("the close", func(t *testing.T) {
		s := startLiveShow(t, "sudden-death", 10*time.Second)
		deadline := s.lot().Deadline
		first := s.nextMinimum()
		s.runOnNode()
		if out := s.outcome(s.submit(0, newUUID(), first).Bid.BidID); out.Status != StatusAccepted {
			t.Fatalf("bid: %+v", out)
		}
		s.loseACommitAnswer()
		s.clock.Set(deadline.Add(time.Second))
		s.advanceUntilClosed("sold")
		res, err := storage.NewLots(s.db).GetResult(context.Background(), s.lotID)
		if err != nil {
			t.Fatal(err)
		}
		if res.WinnerID == nil || *res.WinnerID != s.bidders[0] || res.Price == nil || *res.Price != first {
			t.Fatalf("result %+v, want bidder 0 at %d", res, first)
		}
	})
}
