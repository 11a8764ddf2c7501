package storage_test

import (
	"errors"
	"math"
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
	found, ok, err := bids.FindByBidID(ctx, bidder.ID, "c-1")
	if err != nil || !ok || found.Reason != "too_low" {
		t.Fatalf("FindByBidID = %+v %v %v", found, ok, err)
	}
	if _, ok, err := bids.FindByBidID(ctx, bidder.ID, "nope"); ok || err != nil {
		t.Fatalf("FindByBidID(unknown) = %v %v", ok, err)
	}
	list, err := bids.ListByLot(ctx, lot.ID, 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListByLot = %d, %v", len(list), err)
	}
}

// TestRejectionOfAnyLotIsRecordable is finding 0 of issue 16: the rejection
// of a bid naming a lot that exists nowhere (or a lot of another room) used
// to fail on the lots foreign key, which the pipeline retried forever. It is
// recorded with the lot ID as sent; an accepted bid still needs its lot, and
// values the schema refuses are ErrInvalid or ErrNotFound, never a duplicate.
func TestRejectionOfAnyLotIsRecordable(t *testing.T) {
	ctx := ctxT(t)
	db := storagetest.New(t)
	seller := newSeller(t, db, "sol")
	bidder, _ := storage.NewUsers(db).Upsert(ctx, storage.User{Provider: "guest", Subject: "g1", DisplayName: "Bo"})
	room, _, _ := storage.NewRooms(db).Create(ctx, storage.NewRoom{SellerID: seller.ID, Title: "show"})
	other, _, _ := storage.NewRooms(db).Create(ctx, storage.NewRoom{SellerID: seller.ID, Title: "other show"})
	item, _ := storage.NewItems(db).Create(ctx, storage.Item{SellerID: seller.ID, Title: "vase"})
	foreign, err := storage.NewLots(db).Add(ctx, sampleLot(other.ID, item.ID))
	if err != nil {
		t.Fatal(err)
	}
	bids := storage.NewBids(db)
	base := storage.BidRecord{RoomID: room.ID, BidderID: bidder.ID, Amount: 500, Currency: "KRW", Kind: "bid",
		ReceivedAt: time.Now().UTC(), Reason: "wrong_lot"}
	for i, lotID := range []string{"11111111-2222-3333-4444-555555555555", foreign.ID, "not-a-uuid"} {
		rec := base
		rec.BidID, rec.LotID, rec.IngressSeq = "r-"+lotID, lotID, int64(i+1)
		got, fresh, err := bids.RecordRejected(ctx, rec)
		if err != nil || !fresh || got.LotID != lotID || got.Reason != "wrong_lot" {
			t.Fatalf("reject bid on lot %q = %+v fresh=%v err=%v", lotID, got, fresh, err)
		}
	}
	if list, _ := bids.ListByLot(ctx, foreign.ID, 10); len(list) != 0 {
		t.Fatalf("the other room's lot lists %d bids of this room", len(list))
	}
	extreme := base
	extreme.BidID, extreme.LotID, extreme.Amount, extreme.IngressSeq = "min", foreign.ID, math.MinInt64, 10
	if _, fresh, err := bids.RecordRejected(ctx, extreme); err != nil || !fresh {
		t.Fatalf("reject an int64-minimum amount: fresh=%v err=%v", fresh, err)
	}

	tests := []struct {
		name   string
		mutate func(*storage.BidRecord)
		want   error
	}{
		{"unknown bidder", func(b *storage.BidRecord) { b.BidderID = "11111111-2222-3333-4444-555555555555" }, storage.ErrNotFound},
		{"bad currency", func(b *storage.BidRecord) { b.Currency = "krw" }, storage.ErrInvalid},
		{"long bid id", func(b *storage.BidRecord) { b.BidID = string(make([]byte, 65)) }, storage.ErrInvalid},
		{"NUL in bid id", func(b *storage.BidRecord) { b.BidID = "a\x00b" }, storage.ErrInvalid},
		{"empty bid id", func(b *storage.BidRecord) { b.BidID = "" }, storage.ErrInvalid},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := base
			rec.BidID, rec.LotID, rec.IngressSeq = "bad-"+tc.name, foreign.ID, int64(20+i)
			tc.mutate(&rec)
			if _, _, err := bids.RecordRejected(ctx, rec); !errors.Is(err, tc.want) {
				t.Fatalf("RecordRejected = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestBidIDIsKeyedPerBidder is the storage half of finding 9 of issue 16: a
// bid_id is the client's key, so two bidders may both use one; a repeat by
// the same bidder is still the original.
func TestBidIDIsKeyedPerBidder(t *testing.T) {
	ctx := ctxT(t)
	db := storagetest.New(t)
	seller := newSeller(t, db, "sol")
	ann, _ := storage.NewUsers(db).Upsert(ctx, storage.User{Provider: "guest", Subject: "ann", DisplayName: "Ann"})
	bob, _ := storage.NewUsers(db).Upsert(ctx, storage.User{Provider: "guest", Subject: "bob", DisplayName: "Bob"})
	room, _, _ := storage.NewRooms(db).Create(ctx, storage.NewRoom{SellerID: seller.ID, Title: "show"})
	item, _ := storage.NewItems(db).Create(ctx, storage.Item{SellerID: seller.ID, Title: "vase"})
	lot, _ := storage.NewLots(db).Add(ctx, sampleLot(room.ID, item.ID))
	bids := storage.NewBids(db)
	rec := storage.BidRecord{BidID: "b1", RoomID: room.ID, LotID: lot.ID, BidderID: ann.ID, Amount: 500,
		Currency: "KRW", Kind: "bid", IngressSeq: 1, ReceivedAt: time.Now().UTC(), Reason: "too_low"}
	a, fresh, err := bids.RecordRejected(ctx, rec)
	if err != nil || !fresh {
		t.Fatalf("ann's b1: fresh=%v err=%v", fresh, err)
	}
	rec.BidderID, rec.IngressSeq, rec.Amount = bob.ID, 2, 600
	b, fresh, err := bids.RecordRejected(ctx, rec)
	if err != nil || !fresh || b.ID == a.ID || b.BidderID != bob.ID {
		t.Fatalf("bob's b1 = %+v fresh=%v err=%v, want a row of its own", b, fresh, err)
	}
	rec.IngressSeq, rec.Amount = 3, 700
	again, fresh, err := bids.RecordRejected(ctx, rec)
	if err != nil || fresh || again.ID != b.ID || again.Amount != 600 {
		t.Fatalf("bob's b1 again = %+v fresh=%v err=%v, want bob's original", again, fresh, err)
	}
	for _, who := range []struct {
		id     string
		amount int64
	}{{ann.ID, 500}, {bob.ID, 600}} {
		got, ok, err := bids.FindByBidID(ctx, who.id, "b1")
		if err != nil || !ok || got.BidderID != who.id || got.Amount != who.amount {
			t.Fatalf("FindByBidID(%s, b1) = %+v %v %v", who.id, got, ok, err)
		}
	}
}
