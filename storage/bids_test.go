package storage_test

import (
	"testing"
	"time"

	"github.com/bidcast/bidcast/storage"
	"github.com/bidcast/bidcast/storage/storagetest"
)

func TestBidsAuditIsIdempotentAndGivesWatermark(t *testing.T) {
	ctx := ctxT(t)
	db := storagetest.New(t)
	seller := newSeller(t, db, "sol")
	bidder, _ := storage.NewUsers(db).Upsert(ctx, storage.User{Provider: "guest", Subject: "g1", DisplayName: "Bo"})
	room, _, _ := storage.NewRooms(db).Create(ctx, storage.NewRoom{SellerID: seller.ID, Title: "show"})
	item, _ := storage.NewItems(db).Create(ctx, storage.Item{SellerID: seller.ID, Title: "vase"})
	lot, err := storage.NewLots(db).Add(ctx, sampleLot(room.ID, item.ID))
	if err != nil {
		t.Fatal(err)
	}
	bids := storage.NewBids(db)
	if seq, err := bids.AppliedSeq(ctx, room.ID); err != nil || seq != 0 {
		t.Fatalf("empty room watermark = %d, %v", seq, err)
	}
	rec := storage.BidRecord{BidID: "c-1", RoomID: room.ID, LotID: lot.ID, BidderID: bidder.ID, Amount: 500,
		Currency: "KRW", Kind: "bid", IngressSeq: 7, ReceivedAt: time.Now().UTC(), Reason: "too_low"}
	first, fresh, err := bids.RecordRejected(ctx, rec)
	if err != nil || !fresh || first.Outcome != storage.OutcomeRejected {
		t.Fatalf("first record = %+v fresh=%v err=%v", first, fresh, err)
	}
	// A retry with the same bid_id (and a different amount) changes nothing.
	rec.Amount, rec.IngressSeq = 999, 8
	again, fresh, err := bids.RecordRejected(ctx, rec)
	if err != nil || fresh || again.ID != first.ID || again.Amount != 500 {
		t.Fatalf("second record = %+v fresh=%v err=%v, want the original", again, fresh, err)
	}
	if seq, _ := bids.AppliedSeq(ctx, room.ID); seq != 7 {
		t.Fatalf("watermark = %d, want 7", seq)
	}
	found, ok, err := bids.FindByBidID(ctx, "c-1")
	if err != nil || !ok || found.Reason != "too_low" {
		t.Fatalf("FindByBidID = %+v %v %v", found, ok, err)
	}
	if _, ok, err := bids.FindByBidID(ctx, "nope"); ok || err != nil {
		t.Fatalf("FindByBidID(unknown) = %v %v", ok, err)
	}
	list, err := bids.ListByLot(ctx, lot.ID, 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListByLot = %d, %v", len(list), err)
	}
}
