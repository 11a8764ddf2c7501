package storage_test

import (
	"errors"
	"testing"
	"time"

	"github.com/bidcast/bidcast/storage"
	"github.com/bidcast/bidcast/storage/storagetest"
)

// TestCommitBatchStoresEveryDecisionInOneTransaction: accepted and rejected
// rows, the lot's state and the batch's notifications commit together; a
// taken key, an accepted bid of a bidder that does not exist, or a stale
// version store nothing at all.
func TestCommitBatchStoresEveryDecisionInOneTransaction(t *testing.T) {
	ctx := ctxT(t)
	db := storagetest.New(t)
	seller := newSeller(t, db, "sel")
	users := storage.NewUsers(db)
	ann, _ := users.Upsert(ctx, storage.User{Provider: "guest", Subject: "ann", DisplayName: "Ann"})
	bob, _ := users.Upsert(ctx, storage.User{Provider: "guest", Subject: "bob", DisplayName: "Bob"})
	room, _, _ := storage.NewRooms(db).Create(ctx, storage.NewRoom{SellerID: seller.ID, Title: "show"})
	item, _ := storage.NewItems(db).Create(ctx, storage.Item{SellerID: seller.ID, Title: "clock"})
	lots, bids := storage.NewLots(db), storage.NewBids(db)
	lot, _ := lots.Add(ctx, sampleLot(room.ID, item.ID))
	deadline := time.Now().Add(time.Minute).UTC()
	start := storage.LotUpdate{LotID: lot.ID, ExpectVersion: lot.Version, Version: lot.Version + 1, State: "live", Deadline: &deadline}
	if err := lots.CommitState(ctx, start, nil); err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Truncate(time.Microsecond)
	row := func(bidder, bidID string, seq, amount int64, outcome, reason string) storage.BidRecord {
		return storage.BidRecord{BidID: bidID, RoomID: room.ID, LotID: lot.ID, BidderID: bidder, Amount: amount,
			Currency: "KRW", Kind: "bid", IngressSeq: seq, ReceivedAt: at, Outcome: outcome, Reason: reason,
			CreatedAt: at.Add(time.Duration(seq) * time.Microsecond)}
	}
	upd := storage.LotUpdate{LotID: lot.ID, ExpectVersion: start.Version, Version: start.Version + 1, State: "live",
		Deadline: &deadline, HighBid: ptr(int64(13000)), LeaderID: &bob.ID, HighBidID: ptr("b-1")}
	batch := []storage.BidRecord{
		row(ann.ID, "a-1", 1, 12000, storage.OutcomeAccepted, ""),
		row(bob.ID, "b-0", 2, 11000, storage.OutcomeRejected, "too_low"),
		row(bob.ID, "b-1", 3, 13000, storage.OutcomeAccepted, ""),
		// A rejection of a bidder that does not exist is decided without
		// its row.
		row("00000000-0000-4000-8000-000000000001", "x-1", 4, 1, storage.OutcomeRejected, "too_low"),
	}
	outbid := func(user, bidID string, amount int64) storage.Notification {
		return storage.Notification{UserID: user, Kind: storage.NotifyOutbid, RoomID: room.ID, LotID: lot.ID,
			Amount: &amount, Currency: "KRW", DedupeKey: "outbid:" + lot.ID + ":" + bidID + ":" + user}
	}
	notes := storage.NewNotifications(db)
	noted := func(user string) []storage.Notification {
		t.Helper()
		got, err := notes.ListAfter(ctx, user, nil, 10)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	// The row of a bidder that does not exist sends this batch through the
	// transaction that leaves it out, notifications and all.
	if err := lots.CommitBatch(ctx, room.ID, batch, &upd, outbid(ann.ID, "b-1", 13000)); err != nil {
		t.Fatalf("CommitBatch: %v", err)
	}
	if got := noted(ann.ID); len(got) != 1 || got[0].Kind != storage.NotifyOutbid || *got[0].Amount != 13000 {
		t.Fatalf("ann's notifications = %+v, want one outbid at 13000", got)
	}
	for _, b := range batch[:3] {
		got, ok, err := bids.FindByBidID(ctx, b.BidderID, b.BidID)
		if err != nil || !ok || got.Outcome != b.Outcome || got.Reason != b.Reason || !got.CreatedAt.Equal(b.CreatedAt) {
			t.Fatalf("stored %s = %+v, %v, %v; want %s %q at %v", b.BidID, got, ok, err, b.Outcome, b.Reason, b.CreatedAt)
		}
	}
	if seq, _ := bids.AppliedSeq(ctx, room.ID); seq != 3 {
		t.Fatalf("watermark %d, want 3", seq)
	}

	next := storage.LotUpdate{LotID: lot.ID, ExpectVersion: upd.Version, Version: upd.Version + 1, State: "live",
		Deadline: &deadline, HighBid: ptr(int64(20000)), LeaderID: &ann.ID, HighBidID: ptr("a-9")}
	fresh := row(ann.ID, "a-9", 6, 20000, storage.OutcomeAccepted, "")
	cases := []struct {
		name  string
		rows  []storage.BidRecord
		upd   storage.LotUpdate
		check func(err error) bool
	}{
		{"taken key", []storage.BidRecord{fresh, row(bob.ID, "b-0", 7, 1, storage.OutcomeRejected, "too_low")}, next,
			func(err error) bool {
				var rc *storage.RowConflict
				return errors.As(err, &rc) && rc.Row == 1 && rc.Taken && rc.Stored.IngressSeq == 2
			}},
		{"accepted bid of nobody", []storage.BidRecord{row("00000000-0000-4000-8000-000000000002", "n-1", 7, 30000,
			storage.OutcomeAccepted, ""), fresh}, next,
			func(err error) bool {
				var rc *storage.RowConflict
				return errors.As(err, &rc) && rc.Row == 0 && !rc.Taken
			}},
		{"stale version", []storage.BidRecord{fresh}, storage.LotUpdate{LotID: lot.ID, ExpectVersion: start.Version,
			Version: start.Version + 1, State: "live"},
			func(err error) bool { return errors.Is(err, storage.ErrConflict) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := lots.CommitBatch(ctx, room.ID, c.rows, &c.upd, outbid(bob.ID, "a-9", 20000))
			if !c.check(err) {
				t.Fatalf("CommitBatch: %v", err)
			}
			if got := noted(bob.ID); len(got) != 0 {
				t.Fatalf("a failed batch stored notifications %+v", got)
			}
			if _, ok, _ := bids.FindByBidID(ctx, ann.ID, "a-9"); ok {
				t.Fatal("a row of a failed batch was kept")
			}
			if got, _ := lots.Get(ctx, lot.ID); got.Version != upd.Version {
				t.Fatalf("lot version %d after a failed batch, want %d", got.Version, upd.Version)
			}
		})
	}

	// The usual case, one statement: the new notification is stored, one
	// whose key is taken is left out.
	if err := lots.CommitBatch(ctx, room.ID, []storage.BidRecord{fresh}, &next, outbid(bob.ID, "a-9", 20000),
		outbid(ann.ID, "b-1", 13000)); err != nil {
		t.Fatalf("CommitBatch: %v", err)
	}
	if got := noted(bob.ID); len(got) != 1 || *got[0].Amount != 20000 {
		t.Fatalf("bob's notifications = %+v, want one outbid at 20000", got)
	}
	if got := noted(ann.ID); len(got) != 1 {
		t.Fatalf("ann's notifications = %+v, want the first one only", got)
	}
}
