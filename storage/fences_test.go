package storage_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/bidcast/bidcast/storage"
	"github.com/bidcast/bidcast/storage/storagetest"
)

// fencedShow is a room with a live lot and a bidder, for commits through
// a fenced repository.
type fencedShow struct {
	t      testing.TB
	ctx    context.Context
	lots   *storage.Lots
	bids   *storage.Bids
	fences *storage.Fences
	db     *storage.DB
	roomID string
	lotID  string
	bidder string
	seq    int64
}

func newFencedShow(t testing.TB) *fencedShow {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	db := storagetest.New(t)
	users := storage.NewUsers(db)
	seller, err := users.Upsert(ctx, storage.User{Provider: "local", Subject: "sel", DisplayName: "Sel",
		Role: storage.RoleSeller})
	if err != nil {
		t.Fatal(err)
	}
	ann, err := users.Upsert(ctx, storage.User{Provider: "guest", Subject: "ann", DisplayName: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	room, _, _ := storage.NewRooms(db).Create(ctx, storage.NewRoom{SellerID: seller.ID, Title: "show"})
	item, _ := storage.NewItems(db).Create(ctx, storage.Item{SellerID: seller.ID, Title: "clock"})
	lots := storage.NewLots(db)
	lot, err := lots.Add(ctx, sampleLot(room.ID, item.ID))
	if err != nil {
		t.Fatal(err)
	}
	s := &fencedShow{t: t, ctx: ctx, lots: lots, bids: storage.NewBids(db), fences: storage.NewFences(db), db: db,
		roomID: room.ID, lotID: lot.ID, bidder: ann.ID}
	if err := lots.CommitState(ctx, s.next("live"), nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// version reads the lot's stored version.
func (s *fencedShow) version() int64 {
	s.t.Helper()
	l, err := s.lots.Get(s.ctx, s.lotID)
	if err != nil {
		s.t.Fatal(err)
	}
	return l.Version
}

// next is the lot's update from its stored version to the next one.
func (s *fencedShow) next(state string) storage.LotUpdate {
	v := s.version()
	return storage.LotUpdate{LotID: s.lotID, ExpectVersion: v, Version: v + 1, State: state}
}

// row is an accepted bid of the show's bidder.
func (s *fencedShow) row(bidID string) []storage.BidRecord {
	s.seq++
	return []storage.BidRecord{{BidID: bidID, RoomID: s.roomID, LotID: s.lotID, BidderID: s.bidder,
		Amount: 10_000 + s.seq, Currency: "KRW", Kind: "bid", IngressSeq: s.seq, ReceivedAt: time.Now(),
		Outcome: storage.OutcomeAccepted}}
}

// stored reports whether the show's bidder has a stored bid bidID.
func (s *fencedShow) stored(bidID string) bool {
	s.t.Helper()
	_, ok, err := s.bids.FindByBidID(s.ctx, s.bidder, bidID)
	if err != nil {
		s.t.Fatal(err)
	}
	return ok
}

func (s *fencedShow) raise() int64 {
	s.t.Helper()
	n, err := s.fences.RaiseFence(s.ctx, s.roomID)
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

// TestFencedCommitsWriteNothing: every commit of a room through a fenced
// repository (the one-statement batch with and without the lot, the
// transaction paths, a state change) writes nothing and fails with
// ErrFenced once a newer claim raised the room's fence, and works with the
// current token or unfenced (token 0).
func TestFencedCommitsWriteNothing(t *testing.T) {
	s := newFencedShow(t)
	commits := []struct {
		name   string
		rows   bool // the commit stores a bid row
		commit func(l *storage.Lots, bidID string) error
	}{
		{"batch at once", true, func(l *storage.Lots, bidID string) error {
			upd := s.next("live")
			return l.CommitBatch(s.ctx, s.roomID, s.row(bidID), &upd)
		}},
		{"rows at once", true, func(l *storage.Lots, bidID string) error {
			return l.CommitBatch(s.ctx, s.roomID, s.row(bidID), nil)
		}},
		{"batch in a transaction", true, func(l *storage.Lots, bidID string) error {
			upd := s.next("live")
			return l.CommitBatchInTx(s.ctx, s.roomID, s.row(bidID), &upd)
		}},
		{"lot alone", false, func(l *storage.Lots, _ string) error {
			upd := s.next("live")
			return l.CommitBatch(s.ctx, s.roomID, nil, &upd)
		}},
		{"state", false, func(l *storage.Lots, _ string) error {
			return l.CommitState(s.ctx, s.next("live"), nil)
		}},
	}
	for _, c := range commits {
		t.Run(c.name, func(t *testing.T) {
			stale := s.raise()
			current := s.raise()
			tries := []struct {
				token int64
				want  error
			}{{stale, storage.ErrFenced}, {current, nil}, {0, nil}}
			for _, try := range tries {
				bidID := fmt.Sprintf("%s-%d", c.name, try.token)
				before := s.version()
				err := c.commit(s.lots.Fenced(s.roomID, try.token), bidID)
				if !errors.Is(err, try.want) || (try.want == nil && err != nil) {
					t.Fatalf("token %d (current %d): %v, want %v", try.token, current, err, try.want)
				}
				wrote := try.want == nil
				if c.rows && s.stored(bidID) != wrote {
					t.Fatalf("token %d: bid row stored = %v, want %v", try.token, !wrote, wrote)
				}
				if changed := s.version() != before; changed != (wrote && (c.name != "rows at once")) {
					t.Fatalf("token %d: lot changed = %v (version %d → %d)", try.token, changed, before, s.version())
				}
			}
		})
	}
	other := s.lots.Fenced("00000000-0000-4000-8000-000000000009", s.raise())
	if err := other.CommitBatch(s.ctx, s.roomID, s.row("elsewhere"), nil); err == nil || s.stored("elsewhere") {
		t.Fatalf("a repository fenced for another room committed for this one: %v", err)
	}
}

// TestFencedBatchWaitsForRaise: a one-statement batch that meets a new
// claim's raise in progress waits for it, and then writes nothing
// (ErrFenced): the token it was checking is no longer current.
func TestFencedBatchWaitsForRaise(t *testing.T) {
	s := newFencedShow(t)
	old := s.raise()
	// The new claim's raise, not yet committed.
	tx, err := s.db.Pool.Begin(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	var raiser int
	if err := tx.QueryRow(s.ctx, `SELECT pg_backend_pid()`).Scan(&raiser); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(s.ctx, `UPDATE room_fences SET token = token + 1 WHERE room_id = $1`, s.roomID); err != nil {
		t.Fatal(err)
	}
	before, upd, rows := s.version(), s.next("live"), s.row("racing")
	done := make(chan error, 1)
	go func() { done <- s.lots.Fenced(s.roomID, old).CommitBatch(s.ctx, s.roomID, rows, &upd) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var waiting int
		if err := s.db.Pool.QueryRow(s.ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE $1::int = ANY (pg_blocking_pids(pid))`, raiser).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the batch did not wait for the raise in progress: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for the batch to wait for the raise")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := tx.Commit(s.ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, storage.ErrFenced) {
		t.Fatalf("the stale batch = %v, want ErrFenced", err)
	}
	if s.stored("racing") || s.version() != before {
		t.Fatal("the stale batch wrote")
	}
}
