package media

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/hibiken/asynq"
)

func TestUploadAccepted(t *testing.T) {
	e := newEnv(t, nil)
	status, out := e.upload(e.seller, e.item, "photo.png", testPNG(t, 64, 48))
	if status != http.StatusAccepted {
		t.Fatalf("upload: %d %v", status, out)
	}
	if out["kind"] != KindImage || out["status"] != StatusProcessing || out["content_type"] != TypePNG {
		t.Fatalf("answer %v", out)
	}
	id, _ := out["id"].(string)
	if e.mediaCount() != 1 {
		t.Fatal("no row written")
	}
	insp := asynq.NewInspectorFromRedisClient(e.rdb)
	info, err := insp.GetTaskInfo(Queue, id)
	if err != nil || info.Type != TaskProcess {
		t.Fatalf("task for %s: %v %v", id, info, err)
	}
	if left := files(t, e.cfg.TempDir); len(left) != 0 {
		t.Fatalf("temp files left: %v", left)
	}
	if got := files(t, e.cfg.Dir); len(got) != 1 {
		t.Fatalf("store holds %v, want the original", got)
	}
	// Originals are never served back.
	resp, err := http.Get(e.srv.URL + "/media/" + mediaPrefix(e.item, id) + "original")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("original served: %d", resp.StatusCode)
	}
	// A second upload goes after the first.
	ref, err := e.svc.Upload(context.Background(), e.seller, false, e.item, "b.jpg", bytes.NewReader(testJPEG(t, 10, 10)))
	if err != nil || ref.Position != 1 || ref.ContentType != TypeJPEG || *ref.Width != 10 {
		t.Fatalf("second upload: %+v %v", ref, err)
	}
}

func TestUploadRejected(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxImageBytes = 4000 })
	big := append(testPNG(t, 8, 8), make([]byte, 5000)...) // trailing bytes past the cap
	if len(big) <= 4000 {
		t.Fatalf("test image only %d bytes", len(big))
	}
	html := []byte("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>")
	svg := []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>`)
	tests := []struct {
		name, user, item, file string
		data                   []byte
		status                 int
		code                   string
	}{
		{"bomb png", e.seller, e.item, "bomb.png", bombPNG(100000, 100000), 422, CodeImageTooBig},
		{"html renamed jpg", e.seller, e.item, "photo.jpg", html, 415, CodeUnsupportedType},
		{"svg", e.seller, e.item, "logo.svg", svg, 415, CodeUnsupportedType},
		{"oversized", e.seller, e.item, "big.png", big, 413, CodeTooLarge},
		{"truncated png", e.seller, e.item, "cut.png", testPNG(t, 20, 20)[:20], 422, CodeInvalidFile},
		{"another seller's item", e.other, e.item, "photo.png", testPNG(t, 8, 8), 404, CodeNotFound},
		{"no such item", e.seller, "00000000-0000-4000-8000-000000000000", "p.png", testPNG(t, 8, 8), 404, CodeNotFound},
		{"bad item id", e.seller, "..%2F..%2Fetc", "p.png", testPNG(t, 8, 8), 404, CodeNotFound},
		{"empty", e.seller, e.item, "empty.jpg", nil, 415, CodeUnsupportedType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := e.upload(tt.user, tt.item, tt.file, tt.data)
			if status != tt.status || errorCode(out) != tt.code {
				t.Fatalf("got %d %v, want %d %s", status, out, tt.status, tt.code)
			}
		})
	}
	if n := e.mediaCount(); n != 0 {
		t.Fatalf("%d rows written for rejected uploads", n)
	}
	if left := append(files(t, e.cfg.TempDir), files(t, e.cfg.Dir)...); len(left) != 0 {
		t.Fatalf("files left behind: %v", left)
	}
}

func TestDelete(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	ref, err := e.svc.Upload(ctx, e.seller, false, e.item, "a.png", bytes.NewReader(testPNG(t, 8, 8)))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Delete(ctx, e.other, false, e.item, ref.ID); codeOf(err) != CodeNotFound {
		t.Fatalf("other seller deleted: %v", err)
	}
	if err := e.svc.Delete(ctx, e.seller, false, e.item, "nope"); codeOf(err) != CodeNotFound {
		t.Fatalf("bad media id: %v", err)
	}
	if err := e.svc.Delete(ctx, e.seller, false, e.item, ref.ID); err != nil {
		t.Fatal(err)
	}
	if e.mediaCount() != 0 || len(files(t, e.cfg.Dir)) != 0 {
		t.Fatal("delete left a row or files")
	}
	if _, err := e.svc.Upload(ctx, e.other, true, e.item, "a.png", bytes.NewReader(testPNG(t, 8, 8))); err != nil {
		t.Fatalf("admin upload: %v", err)
	}
	if err := e.svc.DeleteItemFiles(ctx, "../"+e.item); !errors.Is(err, ErrBadKey) {
		t.Fatalf("DeleteItemFiles with a traversal: %v", err)
	}
	if err := e.svc.DeleteItemFiles(ctx, strings.ToUpper(e.item)); err != nil {
		t.Fatal(err)
	}
	if left := files(t, e.cfg.Dir); len(left) != 0 {
		t.Fatalf("item files left: %v", left)
	}
}
