package storage_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/bidcast/bidcast/storage"
	"github.com/bidcast/bidcast/storage/storagetest"
)

func TestItemsCRUDAndVersioning(t *testing.T) {
	ctx := ctxT(t)
	db := storagetest.New(t)
	items := storage.NewItems(db)
	seller := newSeller(t, db, "ivy")

	it, err := items.Create(ctx, storage.Item{SellerID: seller.ID, Title: "Leica M3", Category: "cameras"})
	if err != nil {
		t.Fatal(err)
	}
	it.Description = "1957, serviced"
	updated, err := items.Update(ctx, it)
	if err != nil || updated.Version != it.Version+1 {
		t.Fatalf("update = %+v, %v", updated, err)
	}
	// A second editor still holding the first version loses.
	if _, err := items.Update(ctx, it); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("stale update: err = %v, want ErrConflict", err)
	}
	list, err := items.ListBySellerAfter(ctx, seller.ID, nil, 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("list = %+v, %v", list, err)
	}

	bad := []storage.Item{
		{SellerID: seller.ID, Title: ""},
		{SellerID: seller.ID, Title: strings.Repeat("x", 201)},
		{SellerID: "00000000-0000-0000-0000-000000000000", Title: "ghost seller"},
	}
	for _, b := range bad {
		if _, err := items.Create(ctx, b); err == nil {
			t.Errorf("Create(%q by %s) succeeded, want an error", b.Title, b.SellerID)
		}
	}

	// An item that is a lot cannot be deleted; a free one can.
	room, _, err := storage.NewRooms(db).Create(ctx, storage.NewRoom{SellerID: seller.ID, Title: "show"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := storage.NewLots(db).Add(ctx, sampleLot(room.ID, it.ID)); err != nil {
		t.Fatal(err)
	}
	if err := items.Delete(ctx, it.ID); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("delete item in a lot: err = %v, want ErrConflict", err)
	}
	free, _ := items.Create(ctx, storage.Item{SellerID: seller.ID, Title: "spare lens"})
	if err := items.Delete(ctx, free.ID); err != nil {
		t.Fatal(err)
	}
	if err := items.Delete(ctx, free.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("second delete: err = %v, want ErrNotFound", err)
	}
}

func sampleLot(roomID, itemID string) storage.Lot {
	return storage.Lot{
		RoomID: roomID, ItemID: itemID, Currency: "KRW", OpeningPrice: 10000, ReservePrice: 50000,
		IncrementTable: json.RawMessage(`[{"from":0,"step":1000}]`),
		ClockPolicy:    json.RawMessage(`{"kind":"soft-close","window_ms":10000}`),
		DurationMS:     60000,
	}
}

func TestLotsQueueOrderAndChecks(t *testing.T) {
	ctx := ctxT(t)
	db := storagetest.New(t)
	seller := newSeller(t, db, "lou")
	room, _, _ := storage.NewRooms(db).Create(ctx, storage.NewRoom{SellerID: seller.ID, Title: "show"})
	lots := storage.NewLots(db)
	var ids []string
	for i := 0; i < 3; i++ {
		it, err := storage.NewItems(db).Create(ctx, storage.Item{SellerID: seller.ID, Title: "item"})
		if err != nil {
			t.Fatal(err)
		}
		l, err := lots.Add(ctx, sampleLot(room.ID, it.ID))
		if err != nil {
			t.Fatal(err)
		}
		if l.Position != i || l.State != "pending" {
			t.Fatalf("lot %d = position %d state %s", i, l.Position, l.State)
		}
		ids = append(ids, l.ID)
	}
	got, err := lots.ListByRoom(ctx, room.ID)
	if err != nil || len(got) != 3 {
		t.Fatalf("ListByRoom = %d lots, %v", len(got), err)
	}
	for i, l := range got {
		if l.ID != ids[i] {
			t.Fatalf("lot %d is %s, want %s", i, l.ID, ids[i])
		}
	}
	it, _ := storage.NewItems(db).Create(ctx, storage.Item{SellerID: seller.ID, Title: "x"})
	for name, mutate := range map[string]func(*storage.Lot){
		"lowercase currency": func(l *storage.Lot) { l.Currency = "krw" },
		"negative opening":   func(l *storage.Lot) { l.OpeningPrice = -1 },
		"negative reserve":   func(l *storage.Lot) { l.ReservePrice = -5 },
		"zero duration":      func(l *storage.Lot) { l.DurationMS = 0 },
	} {
		l := sampleLot(room.ID, it.ID)
		mutate(&l)
		if _, err := lots.Add(ctx, l); !errors.Is(err, storage.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}
