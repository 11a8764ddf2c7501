package storage_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/bidcast/bidcast/storage"
	"github.com/bidcast/bidcast/storage/storagetest"
)

func TestMediaRepository(t *testing.T) {
	ctx := ctxT(t)
	db := storagetest.New(t)
	media := storage.NewMedia(db)
	items := storage.NewItems(db)
	seller := newSeller(t, db, "mia")
	it, err := items.Create(ctx, storage.Item{SellerID: seller.ID, Title: "Teapot"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := items.Create(ctx, storage.Item{SellerID: seller.ID, Title: "Cup"})
	if err != nil {
		t.Fatal(err)
	}
	w, h := int32(640), int32(480)
	ids := []string{"2b1c4a3e-1111-4000-8000-000000000001", "2b1c4a3e-1111-4000-8000-000000000002"}
	for i, id := range ids {
		ref, err := media.Insert(ctx, storage.MediaFile{MediaRef: storage.MediaRef{ID: id, ItemID: it.ID,
			Kind: "image", ContentType: "image/png", Width: &w, Height: &h}, StorageKey: "k/" + id, SizeBytes: 99}, storage.MediaQuota{})
		if err != nil || ref.Position != i || ref.Status != "processing" {
			t.Fatalf("insert %d: %+v %v", i, ref, err)
		}
	}
	bad := []storage.MediaFile{
		{MediaRef: storage.MediaRef{ID: "nope", ItemID: it.ID, Kind: "image", ContentType: "image/png"}},
		{MediaRef: storage.MediaRef{ID: "2b1c4a3e-1111-4000-8000-000000000003", ItemID: it.ID, Kind: "gif", ContentType: "image/gif"}},
		{MediaRef: storage.MediaRef{ID: "2b1c4a3e-1111-4000-8000-000000000004", ItemID: "2b1c4a3e-0000-4000-8000-000000000000", Kind: "image"}},
		{MediaRef: storage.MediaRef{ID: ids[0], ItemID: it.ID, Kind: "image", ContentType: "image/png"}}, // duplicate
	}
	for i, m := range bad {
		if _, err := media.Insert(ctx, m, storage.MediaQuota{}); err == nil {
			t.Errorf("bad insert %d accepted", i)
		}
	}
	got, err := media.Get(ctx, ids[0])
	if err != nil || got.StorageKey != "k/"+ids[0] || got.SizeBytes != 99 || *got.Width != 640 {
		t.Fatalf("get: %+v %v", got, err)
	}
	if _, err := media.Get(ctx, "x"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("get bad id: %v", err)
	}
	dur := int32(2000)
	if ok, err := media.MarkReady(ctx, ids[0], 480, 640, &dur); !ok || err != nil {
		t.Fatalf("mark ready: %v %v", ok, err)
	}
	if ok, err := media.MarkFailed(ctx, ids[0], "late"); ok || err != nil {
		t.Fatalf("a settled entry was marked again: %v %v", ok, err)
	}
	if ok, err := media.MarkFailed(ctx, ids[1], "ffmpeg failed: boom"); !ok || err != nil {
		t.Fatalf("mark failed: %v %v", ok, err)
	}
	listed, err := items.MediaOf(ctx, []string{it.ID})
	if err != nil || len(listed[it.ID]) != 2 {
		t.Fatalf("MediaOf: %+v %v", listed, err)
	}
	ready, failed := listed[it.ID][0], listed[it.ID][1]
	if ready.Status != "ready" || *ready.Width != 480 || *ready.DurationMS != 2000 || ready.FailureReason != "" {
		t.Fatalf("ready: %+v", ready)
	}
	if failed.Status != "failed" || !strings.Contains(failed.FailureReason, "boom") {
		t.Fatalf("failed: %+v", failed)
	}
	if err := media.Delete(ctx, other.ID, ids[0]); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("delete through another item: %v", err)
	}
	if err := media.Delete(ctx, it.ID, strings.ToUpper(ids[0])); err != nil {
		t.Fatal(err)
	}
	if err := media.Delete(ctx, it.ID, ids[0]); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if ok, err := media.MarkReady(ctx, ids[0], 1, 1, nil); ok || err != nil {
		t.Fatalf("mark ready after delete: %v %v", ok, err)
	}
}
