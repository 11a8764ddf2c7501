package storage_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bidcast/bidcast/storage"
	"github.com/bidcast/bidcast/storage/storagetest"
)

// groupShow is a database with several rooms, each with a live lot, and
// one bidder, for batches committed through a CommitGroup.
type groupShow struct {
	t      *testing.T
	ctx    context.Context
	db     *storage.DB
	lots   *storage.Lots
	bids   *storage.Bids
	bidder string
	rooms  []groupRoom
}

type groupRoom struct{ id, lot string }

func newGroupShow(t *testing.T, rooms int) *groupShow {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	db := storagetest.New(t)
	seller := newSeller(t, db, "sel")
	ann, err := storage.NewUsers(db).Upsert(ctx, storage.User{Provider: "guest", Subject: "ann", DisplayName: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	s := &groupShow{t: t, ctx: ctx, db: db, lots: storage.NewLots(db), bids: storage.NewBids(db), bidder: ann.ID}
	item, err := storage.NewItems(db).Create(ctx, storage.Item{SellerID: seller.ID, Title: "clock"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range rooms {
		room, _, err := storage.NewRooms(db).Create(ctx, storage.NewRoom{SellerID: seller.ID, Title: fmt.Sprint("show ", i)})
		if err != nil {
			t.Fatal(err)
		}
		lot, err := s.lots.Add(ctx, sampleLot(room.ID, item.ID))
		if err != nil {
			t.Fatal(err)
		}
		s.rooms = append(s.rooms, groupRoom{id: room.ID, lot: lot.ID})
		if err := s.lots.CommitState(ctx, s.next(i), nil); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// next is room i's lot update from its stored version to the next one.
func (s *groupShow) next(i int) storage.LotUpdate {
	s.t.Helper()
	l, err := s.lots.Get(s.ctx, s.rooms[i].lot)
	if err != nil {
		s.t.Fatal(err)
	}
	return storage.LotUpdate{LotID: l.ID, ExpectVersion: l.Version, Version: l.Version + 1, State: "live"}
}

// row is an accepted bid bidID of the bidder in room i.
func (s *groupShow) row(i int, bidID string) []storage.BidRecord {
	return []storage.BidRecord{{BidID: bidID, RoomID: s.rooms[i].id, LotID: s.rooms[i].lot, BidderID: s.bidder,
		Amount: 10_000, Currency: "KRW", Kind: "bid", IngressSeq: 1, ReceivedAt: time.Now(),
		Outcome: storage.OutcomeAccepted}}
}

func (s *groupShow) stored(bidID string) bool {
	s.t.Helper()
	_, ok, err := s.bids.FindByBidID(s.ctx, s.bidder, bidID)
	if err != nil {
		s.t.Fatal(err)
	}
	return ok
}

// queuedTogether runs one commit per room through a one-worker group that
// starts only once all of them wait, so they form one group, and returns
// each commit's error.
func (s *groupShow) queuedTogether(commit func(l *storage.Lots, i int) error) ([]error, *storage.CommitGroup) {
	s.t.Helper()
	g := storage.NewCommitGroup(s.db, storage.CommitGroupConfig{Workers: 1})
	lots := s.lots.Grouped(g)
	errs := make([]error, len(s.rooms))
	var wg sync.WaitGroup
	for i := range s.rooms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = commit(lots, i)
		}()
	}
	waitFor(s.t, "every batch to wait for the group", func() bool { return g.Waiting() == len(s.rooms) })
	ctx, cancel := context.WithCancel(s.ctx)
	ran := make(chan struct{})
	go func() { defer close(ran); _ = g.Run(ctx) }()
	wg.Wait()
	cancel()
	<-ran
	return errs, g
}

// TestCommitGroupCommitsRoomsTogether: batches of several rooms waiting at
// once commit in one transaction, each written in full.
func TestCommitGroupCommitsRoomsTogether(t *testing.T) {
	s := newGroupShow(t, 5)
	errs, g := s.queuedTogether(func(l *storage.Lots, i int) error {
		upd := s.next(i)
		return l.CommitBatch(s.ctx, s.rooms[i].id, s.row(i, fmt.Sprint("g-", i)), &upd)
	})
	for i, err := range errs {
		if err != nil || !s.stored(fmt.Sprint("g-", i)) {
			t.Fatalf("room %d: %v, stored %v", i, err, s.stored(fmt.Sprint("g-", i)))
		}
	}
	if groups, batches := g.Stats(); groups != 1 || batches != 5 {
		t.Fatalf("%d groups carried %d batches, want 1 group of 5", groups, batches)
	}
}

// TestCommitGroupKeepsFailuresToTheirRoom: in a group, a batch with a stale
// version, one with a stale fence and one with a taken key each fail as
// they would alone (the taken key as a RowConflict naming the row), and the
// other rooms' batches are written.
func TestCommitGroupKeepsFailuresToTheirRoom(t *testing.T) {
	s := newGroupShow(t, 5)
	fences := storage.NewFences(s.db)
	old, err := fences.RaiseFence(s.ctx, s.rooms[1].id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fences.RaiseFence(s.ctx, s.rooms[1].id); err != nil {
		t.Fatal(err)
	}
	if err := s.lots.CommitBatch(s.ctx, s.rooms[2].id, s.row(2, "taken"), nil); err != nil {
		t.Fatal(err)
	}
	errs, _ := s.queuedTogether(func(l *storage.Lots, i int) error {
		upd := s.next(i)
		switch i {
		case 0:
			upd.ExpectVersion--
			upd.Version--
		case 1:
			l = l.Fenced(s.rooms[1].id, old)
		case 2:
			return l.CommitBatch(s.ctx, s.rooms[2].id, append(s.row(2, "fresh-2"), s.row(2, "taken")...), &upd)
		}
		return l.CommitBatch(s.ctx, s.rooms[i].id, s.row(i, fmt.Sprint("f-", i)), &upd)
	})
	var rc *storage.RowConflict
	checks := []struct {
		ok   bool
		want string
	}{
		{errors.Is(errs[0], storage.ErrConflict), "a version conflict"},
		{errors.Is(errs[1], storage.ErrFenced), "ErrFenced"},
		{errors.As(errs[2], &rc) && rc.Row == 1 && rc.Taken, "a RowConflict for row 1"},
		{errs[3] == nil && s.stored("f-3"), "written"},
		{errs[4] == nil && s.stored("f-4"), "written"},
	}
	for i, c := range checks {
		if !c.ok {
			t.Errorf("room %d: %v, want %s", i, errs[i], c.want)
		}
	}
	for _, id := range []string{"f-0", "f-1", "fresh-2"} {
		if s.stored(id) {
			t.Errorf("%s of a failed batch was written", id)
		}
	}
}

// TestCommitGroupAbandonedAndStopped: a batch whose caller gave up while
// it waited is never written; with the group stopped, batches commit alone.
func TestCommitGroupAbandonedAndStopped(t *testing.T) {
	s := newGroupShow(t, 1)
	g := storage.NewCommitGroup(s.db, storage.CommitGroupConfig{})
	lots := s.lots.Grouped(g)
	ctx, cancel := context.WithCancel(s.ctx)
	done := make(chan error, 1)
	go func() { done <- lots.CommitBatch(ctx, s.rooms[0].id, s.row(0, "gave-up"), nil) }()
	waitFor(t, "the batch to wait", func() bool { return g.Waiting() == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("abandoned batch: %v, want context.Canceled", err)
	}
	runCtx, stop := context.WithCancel(s.ctx)
	ran := make(chan struct{})
	go func() { defer close(ran); _ = g.Run(runCtx) }()
	waitFor(t, "the group to drop the abandoned batch", func() bool { return g.Waiting() == 0 })
	stop()
	<-ran
	if s.stored("gave-up") {
		t.Fatal("a batch abandoned by its caller was written")
	}
	if err := lots.CommitBatch(s.ctx, s.rooms[0].id, s.row(0, "after"), nil); err != nil || !s.stored("after") {
		t.Fatalf("commit after the group stopped: %v", err)
	}
}

// waitFor polls cond until it holds or the test's minute runs out.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
