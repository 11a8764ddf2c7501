package media

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bidcast/bidcast/storage"
)

// secondItem makes another item of the test seller: the quota is the
// seller's, across items.
func (e *env) secondItem() string {
	e.t.Helper()
	it, err := storage.NewItems(e.db).Create(context.Background(), storage.Item{SellerID: e.seller, Title: "Jug"})
	if err != nil {
		e.t.Fatal(err)
	}
	return it.ID
}

// expectRefused checks a quota refusal that left nothing behind: the same
// rows and stored files as before, and no temporary file.
func (e *env) expectRefused(status int, out map[string]any, rows int, stored []string) {
	e.t.Helper()
	if status != http.StatusConflict || errorCode(out) != CodeQuotaExceeded {
		e.t.Fatalf("upload past the quota: %d %v", status, out)
	}
	if n := e.mediaCount(); n != rows {
		e.t.Fatalf("%d rows, want %d", n, rows)
	}
	if now := files(e.t, e.cfg.Dir); strings.Join(now, ",") != strings.Join(stored, ",") {
		e.t.Fatalf("stored files changed: %v, was %v", now, stored)
	}
	if left := files(e.t, e.cfg.TempDir); len(left) != 0 {
		e.t.Fatalf("temp files left: %v", left)
	}
}

func TestQuotaFiles(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.QuotaFiles = 2 })
	png := testPNG(t, 40, 30)
	other := e.secondItem()
	for _, item := range []string{e.item, other} {
		if status, out := e.upload(e.seller, item, "a.png", png); status != http.StatusAccepted {
			t.Fatalf("upload within the quota: %d %v", status, out)
		}
	}
	stored := files(t, e.cfg.Dir)
	status, out := e.upload(e.seller, e.item, "c.png", png)
	e.expectRefused(status, out, 2, stored)
	// Another seller has a quota of their own.
	it, err := storage.NewItems(e.db).Create(context.Background(), storage.Item{SellerID: e.other, Title: "Cup"})
	if err != nil {
		t.Fatal(err)
	}
	if status, out := e.upload(e.other, it.ID, "d.png", png); status != http.StatusAccepted {
		t.Fatalf("another seller's upload: %d %v", status, out)
	}
	// Deleting a file frees its slot.
	refs, _ := e.svc.items.MediaOf(context.Background(), []string{e.item})
	if err := e.svc.Delete(context.Background(), e.seller, false, e.item, refs[e.item][0].ID); err != nil {
		t.Fatal(err)
	}
	if status, out := e.upload(e.seller, e.item, "e.png", png); status != http.StatusAccepted {
		t.Fatalf("upload after a delete: %d %v", status, out)
	}
}

func TestQuotaBytes(t *testing.T) {
	png := testPNG(t, 200, 150)
	small := testPNG(t, 8, 8)
	size := int64(len(png))
	e := newEnv(t, func(c *Config) { c.QuotaBytes = 2*size + int64(len(small)) - 1 })
	for range 2 {
		if status, out := e.upload(e.seller, e.item, "a.png", png); status != http.StatusAccepted {
			t.Fatalf("upload within the quota: %d %v", status, out)
		}
	}
	stored := files(t, e.cfg.Dir)
	// One byte too many: refused, after streaming only what fits.
	status, out := e.upload(e.seller, e.secondItem(), "small.png", small)
	e.expectRefused(status, out, 2, stored)
	// A full quota refuses before reading the body.
	e.cfg.QuotaBytes = 2 * size
	svc, err := NewService(e.cfg, e.db, e.rdb, e.svc.log)
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Upload(context.Background(), e.seller, false, e.item, "x.png", failingReader{t})
	if codeOf(err) != CodeQuotaExceeded {
		t.Fatalf("upload to a full quota: %v", err)
	}
}

// failingReader fails the test if anything reads it.
type failingReader struct{ t *testing.T }

func (f failingReader) Read([]byte) (int, error) {
	f.t.Error("the body of an upload to a full quota was read")
	return 0, context.Canceled
}

// TestQuotaParallelUploads races uploads for the last free slots: exactly
// as many as fit are accepted, and the refused ones leave no file.
func TestQuotaParallelUploads(t *testing.T) {
	const quota, racers = 3, 8
	e := newEnv(t, func(c *Config) { c.QuotaFiles = quota })
	png := testPNG(t, 40, 30)
	if status, out := e.upload(e.seller, e.item, "first.png", png); status != http.StatusAccepted {
		t.Fatalf("first upload: %d %v", status, out)
	}
	items := []string{e.item, e.secondItem()}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		accepted int
	)
	for i := range racers {
		wg.Go(func() {
			status, out := e.upload(e.seller, items[i%2], "race.png", png)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case status == http.StatusAccepted:
				accepted++
			case status != http.StatusConflict || errorCode(out) != CodeQuotaExceeded:
				t.Errorf("racing upload: %d %v", status, out)
			}
		})
	}
	wg.Wait()
	if accepted != quota-1 || e.mediaCount() != quota {
		t.Fatalf("%d racing uploads accepted, %d rows; the quota is %d files", accepted, e.mediaCount(), quota)
	}
	if stored := files(t, e.cfg.Dir); len(stored) != quota {
		t.Fatalf("stored files: %v", stored)
	}
	if left := files(t, e.cfg.TempDir); len(left) != 0 {
		t.Fatalf("temp files left: %v", left)
	}
}

// TestWorkerRefusesLongVideo sets the longest video below the test clip's
// 2 s: the worker marks it failed with video_too_long before any
// transcoding (a broken ffmpeg would otherwise be the reason).
func TestWorkerRefusesLongVideo(t *testing.T) {
	clip := testClip(t) // skips without ffmpeg
	e := newEnv(t, func(c *Config) {
		c.MaxVideoLength = time.Second
		c.FFmpegPath = "/nonexistent/ffmpeg"
	})
	id := e.uploadVideo(clip)
	if err := e.svc.Process(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	st, reason := e.status(id)
	if st != StatusFailed || !strings.HasPrefix(reason, CodeVideoTooLong+": ") {
		t.Fatalf("status %s, reason %q; want failed with %s", st, reason, CodeVideoTooLong)
	}
	for _, f := range files(t, e.cfg.Dir) {
		if !strings.HasSuffix(f, "original") {
			t.Fatalf("file made of a refused video: %s", f)
		}
	}
	if left := files(t, e.cfg.TempDir); len(left) != 0 {
		t.Fatalf("temp files left: %v", left)
	}
}
