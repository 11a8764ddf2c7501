package media

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestResumableUploadResumes sends an image in two requests with a HEAD in
// between, as a client resuming after a dropped connection does; the file
// becomes a media entry like a plain upload, and nothing stays staged.
func TestResumableUploadResumes(t *testing.T) {
	e := newEnv(t, nil)
	srv := e.tusServer(e.svc)
	img := testPNG(t, 64, 48)
	c := tusCreate(t, srv, e.seller, e.item, len(img))
	if c.Status != http.StatusCreated || !strings.Contains(c.Location, "/api/v1/uploads/") {
		t.Fatalf("create: %+v", c)
	}
	half := len(img) / 2
	if a := tusPatch(t, c.Location, e.seller, 0, img[:half]); a.Status != http.StatusNoContent || a.Offset != int64(half) {
		t.Fatalf("first half: %+v (%s)", a, c.Location)
	}
	if h := tusDo(t, "HEAD", c.Location, e.seller, nil, nil); h.Status != http.StatusOK || h.Offset != int64(half) {
		t.Fatalf("head: %+v", h)
	}
	if a := tusPatch(t, c.Location, e.seller, 0, img); a.Status != http.StatusConflict {
		t.Fatalf("patch at a stale offset: %+v, want 409", a)
	}
	a := tusPatch(t, c.Location, e.seller, half, img[half:])
	if a.Status != http.StatusNoContent || a.Offset != int64(len(img)) || a.MediaID == "" {
		t.Fatalf("second half: %+v", a)
	}
	ref, err := e.svc.rows.Get(context.Background(), a.MediaID)
	if err != nil || ref.Status != StatusProcessing || ref.Kind != KindImage || ref.SizeBytes != int64(len(img)) {
		t.Fatalf("row %+v (%v)", ref, err)
	}
	rc, _, err := e.svc.store.Open(context.Background(), ref.StorageKey)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, img) {
		t.Fatalf("stored %d bytes, not the file", len(got))
	}
	if left := files(t, e.svc.cfg.UploadDir); len(left) != 0 {
		t.Fatalf("staged files left: %v", left)
	}
	if h := tusDo(t, "HEAD", c.Location, e.seller, nil, nil); h.Status != http.StatusNotFound {
		t.Fatalf("head of a finished upload: %+v", h)
	}
	if st := e.svc.UploadStats(); st.BytesReceived != uint64(len(img)) || st.Created != 1 || st.Finished != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestResumableUploadAfterRestart stops the service half way and resumes
// through a new one over the same directories, as after a server restart.
func TestResumableUploadAfterRestart(t *testing.T) {
	e := newEnv(t, nil)
	img := testJPEG(t, 120, 80)
	first := e.tusServer(e.svc)
	c := tusCreate(t, first, e.seller, e.item, len(img))
	half := len(img) / 2
	if a := tusPatch(t, c.Location, e.seller, 0, img[:half]); a.Status != http.StatusNoContent {
		t.Fatalf("first half: %+v (%s)", a, c.Location)
	}
	first.Close()
	again, err := NewService(e.cfg, e.db, e.rdb, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	second := e.tusServer(again)
	url := second.URL + c.Location[strings.Index(c.Location, "/api/"):]
	h := tusDo(t, "HEAD", url, e.seller, nil, nil)
	if h.Status != http.StatusOK || h.Offset != int64(half) {
		t.Fatalf("head after restart: %+v", h)
	}
	a := tusPatch(t, url, e.seller, int(h.Offset), img[h.Offset:])
	if a.Status != http.StatusNoContent || a.MediaID == "" {
		t.Fatalf("rest after restart: %+v", a)
	}
	if e.mediaCount() != 1 {
		t.Fatalf("%d rows", e.mediaCount())
	}
}

// TestResumableUploadRejected holds every refusal of the plain upload for
// resumable uploads, each leaving no row, no stored file and nothing
// staged.
func TestResumableUploadRejected(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxImageBytes = 4000; c.QuotaBytes = 1 << 20 })
	srv := e.tusServer(e.svc)
	big := append(testPNG(t, 8, 8), make([]byte, 5000)...)
	html := []byte("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>" + strings.Repeat(" ", 600))
	clip := testClip(t) // skips without ffmpeg
	tests := []struct {
		name, user, item string
		data             []byte
		status           int
		code             string
	}{
		{"html renamed jpg", e.seller, e.item, html, 415, CodeUnsupportedType},
		{"bomb png", e.seller, e.item, bombPNG(100000, 100000), 422, CodeImageTooBig},
		{"truncated png", e.seller, e.item, testPNG(t, 20, 20)[:20], 422, CodeInvalidFile},
		{"truncated video", e.seller, e.item, clip[:len(clip)/2], 422, CodeInvalidFile},
		{"image over its cap", e.seller, e.item, big, 413, CodeTooLarge},
		{"over the seller's quota", e.seller, e.item, append(bytes.Clone(clip), make([]byte, 1<<20)...), 409, CodeQuotaExceeded},
		{"another seller's item", e.other, e.item, testPNG(t, 8, 8), 404, CodeNotFound},
		{"no such item", e.seller, "00000000-0000-4000-8000-000000000000", testPNG(t, 8, 8), 404, CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tusUpload(t, srv, tt.user, tt.item, tt.data, len(tt.data)/3)
			if a.Status != tt.status || a.Code != tt.code {
				t.Fatalf("got %+v, want %d %s", a, tt.status, tt.code)
			}
		})
	}
	t.Run("empty", func(t *testing.T) {
		if a := tusCreate(t, srv, e.seller, e.item, 0); a.Status != 415 || a.Code != CodeUnsupportedType {
			t.Fatalf("got %+v", a)
		}
	})
	t.Run("over the largest cap", func(t *testing.T) {
		if a := tusCreate(t, srv, e.seller, e.item, DefaultMaxVideoBytes+1); a.Status != 413 || a.Code != CodeTooLarge {
			t.Fatalf("got %+v", a)
		}
	})
	t.Run("deferred length", func(t *testing.T) {
		a := tusDo(t, "POST", srv.URL+"/api/v1/items/"+e.item+"/uploads", e.seller, map[string]string{"Upload-Defer-Length": "1"}, nil)
		if a.Status < 400 {
			t.Fatalf("got %+v", a)
		}
	})
	t.Run("another seller's upload", func(t *testing.T) {
		img := testPNG(t, 8, 8)
		c := tusCreate(t, srv, e.seller, e.item, len(img))
		for _, m := range []string{"HEAD", "PATCH", "DELETE"} {
			a := tusDo(t, m, c.Location, e.other, map[string]string{"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}, img)
			if a.Status != 404 {
				t.Fatalf("%s by another: %+v", m, a)
			}
		}
		if a := tusDo(t, "DELETE", c.Location, e.seller, nil, nil); a.Status != http.StatusNoContent {
			t.Fatalf("cancel by its owner: %+v", a)
		}
		if a := tusDo(t, "HEAD", c.Location, e.seller, nil, nil); a.Status != 404 {
			t.Fatalf("head after cancel: %+v", a)
		}
	})
	if n := e.mediaCount(); n != 0 {
		t.Fatalf("%d rows written for rejected uploads", n)
	}
	if left := append(files(t, e.cfg.TempDir), files(t, e.cfg.Dir)...); len(left) != 0 {
		t.Fatalf("files left behind: %v", left)
	}
	if st := e.svc.UploadStats(); st.Refused != 5 {
		t.Fatalf("stats %+v: want the refusals counted", st)
	}
}

// TestResumableUploadExpires leaves an upload unfinished past the expiry
// (a fake clock) and sweeps it away with its parts.
func TestResumableUploadExpires(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	e := newEnv(t, func(c *Config) { c.UploadExpiry = time.Hour; c.Now = func() time.Time { return clock() } })
	srv := e.tusServer(e.svc)
	img := testPNG(t, 32, 32)
	c := tusCreate(t, srv, e.seller, e.item, len(img))
	if a := tusPatch(t, c.Location, e.seller, 0, img[:len(img)/2]); a.Status != http.StatusNoContent {
		t.Fatalf("patch: %+v", a)
	}
	ctx := context.Background()
	if n, err := e.svc.SweepUploads(ctx); n != 0 || err != nil {
		t.Fatalf("sweep before expiry: %d, %v", n, err)
	}
	clock = func() time.Time { return now.Add(61 * time.Minute) }
	if n, err := e.svc.SweepUploads(ctx); n != 1 || err != nil {
		t.Fatalf("sweep after expiry: %d, %v", n, err)
	}
	if left := files(t, e.svc.cfg.UploadDir); len(left) != 0 {
		t.Fatalf("staged files left: %v", left)
	}
	if a := tusDo(t, "HEAD", c.Location, e.seller, nil, nil); a.Status != 404 {
		t.Fatalf("head of an expired upload: %+v", a)
	}
	if st := e.svc.UploadStats(); st.Expired != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestResumableLeftoverFinished: an upload whose bytes were all stored
// but that was never finished (the server stopped in between) is finished
// by the client's next HEAD.
func TestResumableLeftoverFinished(t *testing.T) {
	e := newEnv(t, nil)
	srv := e.tusServer(e.svc)
	img := testPNG(t, 16, 16)
	c := tusCreate(t, srv, e.seller, e.item, len(img))
	id := c.Location[strings.LastIndex(c.Location, "/")+1:]
	up, err := e.svc.tus.staging.GetUpload(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := up.WriteChunk(context.Background(), 0, bytes.NewReader(img)); err != nil {
		t.Fatal(err)
	}
	h := tusDo(t, "HEAD", c.Location, e.seller, nil, nil)
	if h.Status != http.StatusOK || h.Offset != int64(len(img)) || h.MediaID == "" {
		t.Fatalf("head: %+v", h)
	}
	if _, err := e.svc.rows.Get(context.Background(), h.MediaID); err != nil {
		t.Fatal(err)
	}
}

// TestWorkerSweepsUploads runs the worker with a short expiry: its sweeper
// removes an expired upload by itself, and stops with the worker.
func TestWorkerSweepsUploads(t *testing.T) {
	var late atomic.Bool
	e := newEnv(t, func(c *Config) {
		c.UploadExpiry = 200 * time.Millisecond
		c.Now = func() time.Time {
			if late.Load() {
				return time.Now().Add(time.Hour)
			}
			return time.Now()
		}
	})
	srv := e.tusServer(e.svc)
	img := testPNG(t, 16, 16)
	c := tusCreate(t, srv, e.seller, e.item, len(img))
	if a := tusPatch(t, c.Location, e.seller, 0, img[:10]); a.Status != http.StatusNoContent {
		t.Fatalf("patch: %+v", a)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.svc.RunWorker(ctx) }()
	late.Store(true)
	deadline := time.Now().Add(10 * time.Second)
	for len(files(t, e.svc.cfg.UploadDir)) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the expired upload is still there: %v", files(t, e.svc.cfg.UploadDir))
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	if stacks := string(buf[:runtime.Stack(buf, true)]); strings.Contains(stacks, "runSweeper") {
		t.Fatalf("the sweeper outlived the worker:\n%s", stacks)
	}
}
