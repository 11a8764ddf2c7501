package storage_test

import (
	"errors"
	"testing"
	"time"

	"github.com/bidcast/bidcast/storage"
	"github.com/bidcast/bidcast/storage/storagetest"
)

func ptr[T any](v T) *T { return &v }

func TestCommitBidsIsAtomicVersionedAndIdempotent(t *testing.T) {
	ctx := ctxT(t)
	db := storagetest.New(t)
	seller := newSeller(t, db, "sel")
	ann, _ := storage.NewUsers(db).Upsert(ctx, storage.User{Provider: "guest", Subject: "ann", DisplayName: "Ann"})
	bob, _ := storage.NewUsers(db).Upsert(ctx, storage.User{Provider: "guest", Subject: "bob", DisplayName: "Bob"})
	room, _, _ := storage.NewRooms(db).Create(ctx, storage.NewRoom{SellerID: seller.ID, Title: "show"})
	item, _ := storage.NewItems(db).Create(ctx, storage.Item{SellerID: seller.ID, Title: "clock"})
	lots := storage.NewLots(db)
	lot, _ := lots.Add(ctx, sampleLot(room.ID, item.ID))
	deadline := time.Now().Add(time.Minute).UTC()

	start := storage.LotUpdate{LotID: lot.ID, ExpectVersion: lot.Version, Version: lot.Version + 1, State: "live", Deadline: &deadline}
	if err := lots.CommitState(ctx, start, nil); err != nil {
		t.Fatal(err)
	}
	bid := storage.BidRecord{BidID: "ann-1", RoomID: room.ID, LotID: lot.ID, BidderID: ann.ID, Amount: 12000,
		Currency: "KRW", Kind: "bid", IngressSeq: 1, ReceivedAt: time.Now().UTC()}
	proxy := storage.BidRecord{BidID: "ann-1/p1", RoomID: room.ID, LotID: lot.ID, BidderID: bob.ID, Amount: 13000,
		Currency: "KRW", Kind: "proxy", IngressSeq: 1, ReceivedAt: bid.ReceivedAt}
	upd := storage.LotUpdate{LotID: lot.ID, ExpectVersion: start.Version, Version: start.Version + 1, State: "live",
		Deadline: &deadline, HighBid: ptr(int64(13000)), LeaderID: &bob.ID, HighBidID: ptr("ann-1/p1")}
	if _, fresh, err := lots.CommitBids(ctx, []storage.BidRecord{bid, proxy}, upd); err != nil || !fresh {
		t.Fatalf("CommitBids = fresh %v, %v", fresh, err)
	}
	// The same bid again: nothing written, the original returned.
	orig, fresh, err := lots.CommitBids(ctx, []storage.BidRecord{bid}, storage.LotUpdate{LotID: lot.ID, ExpectVersion: upd.Version, Version: upd.Version + 1, State: "live"})
	if err != nil || fresh || orig.BidID != "ann-1" || orig.Outcome != storage.OutcomeAccepted {
		t.Fatalf("repeat CommitBids = %+v fresh %v, %v", orig, fresh, err)
	}
	// A stale owner (old version) writes nothing: neither bid nor state.
	stale := storage.LotUpdate{LotID: lot.ID, ExpectVersion: start.Version, Version: start.Version + 1, State: "live", HighBid: ptr(int64(99000))}
	late := bid
	late.BidID, late.Amount, late.IngressSeq = "ann-2", 99000, 2
	if _, _, err := lots.CommitBids(ctx, []storage.BidRecord{late}, stale); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("stale CommitBids: err = %v, want ErrConflict", err)
	}
	if _, ok, _ := storage.NewBids(db).FindByBidID(ctx, ann.ID, "ann-2"); ok {
		t.Fatal("bid of a failed commit was kept")
	}
	got, _ := lots.Get(ctx, lot.ID)
	if got.Version != upd.Version || *got.HighBid != 13000 || *got.LeaderID != bob.ID {
		t.Fatalf("lot after commits = %+v", got)
	}

	closed := storage.LotUpdate{LotID: lot.ID, ExpectVersion: upd.Version, Version: upd.Version + 1, State: "sold",
		HighBid: ptr(int64(13000)), LeaderID: &bob.ID}
	res := &storage.LotResult{LotID: lot.ID, RoomID: room.ID, Outcome: "sold", WinnerID: &bob.ID,
		WinningBidID: ptr("ann-1/p1"), Price: ptr(int64(13000)), Currency: "KRW", ClosedAt: time.Now().UTC()}
	if err := lots.CommitState(ctx, closed, res); err != nil {
		t.Fatal(err)
	}
	if r, err := lots.GetResult(ctx, lot.ID); err != nil || *r.WinnerID != bob.ID || *r.Price != 13000 {
		t.Fatalf("result = %+v, %v", r, err)
	}
	// A sold result without a winner breaks the schema's rule.
	bad := *res
	bad.LotID, bad.WinnerID = lot.ID, nil
	if err := lots.CommitState(ctx, storage.LotUpdate{LotID: lot.ID, ExpectVersion: closed.Version, Version: closed.Version + 1, State: "sold"}, &bad); err == nil {
		t.Fatal("a second, winnerless result was accepted")
	}
}

func TestActiveLotAndLiveRooms(t *testing.T) {
	ctx := ctxT(t)
	db := storagetest.New(t)
	seller := newSeller(t, db, "act")
	rooms := storage.NewRooms(db)
	room, _, _ := rooms.Create(ctx, storage.NewRoom{SellerID: seller.ID, Title: "show"})
	item, _ := storage.NewItems(db).Create(ctx, storage.Item{SellerID: seller.ID, Title: "lamp"})
	lots := storage.NewLots(db)
	lot, _ := lots.Add(ctx, sampleLot(room.ID, item.ID))
	if _, ok, err := lots.Active(ctx, room.ID); ok || err != nil {
		t.Fatalf("Active before start = %v, %v", ok, err)
	}
	if err := lots.CommitState(ctx, storage.LotUpdate{LotID: lot.ID, ExpectVersion: 1, Version: 2, State: "paused", RemainingMS: ptr(int64(30000))}, nil); err != nil {
		t.Fatal(err)
	}
	got, ok, err := lots.Active(ctx, room.ID)
	if !ok || err != nil || got.ID != lot.ID || *got.RemainingMS != 30000 {
		t.Fatalf("Active = %+v %v %v", got, ok, err)
	}
	if ids, _ := rooms.LiveRoomIDs(ctx); len(ids) != 0 {
		t.Fatalf("live rooms before going live = %v", ids)
	}
	rooms.SetStatus(ctx, room.ID, storage.RoomLive)
	if ids, _ := rooms.LiveRoomIDs(ctx); len(ids) != 1 || ids[0] != room.ID {
		t.Fatalf("live rooms = %v", ids)
	}
}
