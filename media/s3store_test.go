package media

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// fakeS3 serves gofakes3 with its memory backend on loopback and returns
// a config for it with bucket "media" created.
func fakeS3(t *testing.T) S3Config {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("media"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	t.Cleanup(srv.Close)
	return S3Config{Endpoint: srv.URL, Bucket: "media", AccessKey: "test-key", SecretKey: "test-secret",
		Region: "us-east-1"}
}

func TestS3StoreConfig(t *testing.T) {
	ctx := context.Background()
	cfg := fakeS3(t)
	missing := cfg
	missing.Bucket, missing.SecretKey = "", ""
	if _, err := NewS3Store(ctx, missing); err == nil ||
		!strings.Contains(err.Error(), "MEDIA_S3_BUCKET, MEDIA_S3_SECRET_KEY must be set") {
		t.Fatalf("missing settings: %v", err)
	}
	nobucket := cfg
	nobucket.Bucket = "absent"
	if _, err := NewS3Store(ctx, nobucket); err == nil || !strings.Contains(err.Error(), `bucket "absent" does not exist`) {
		t.Fatalf("absent bucket: %v", err)
	}
	if _, err := NewService(Config{S3: nobucket}, nil, nil, nil); err == nil {
		t.Fatal("NewService started with an absent bucket")
	}
}

func TestS3Store(t *testing.T) {
	ctx := context.Background()
	s, err := NewS3Store(ctx, fakeS3(t))
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789"), 1000)
	for _, key := range []string{"items/a/m1/v/w320.jpg", "items/a/m1/v/hls/master.m3u8", "items/a/m2/original", "items/b/m3/original"} {
		if err := s.Put(ctx, key, bytes.NewReader(data)); err != nil {
			t.Fatalf("Put %s: %v", key, err)
		}
	}
	f, info, err := s.Open(ctx, "items/a/m1/v/w320.jpg")
	if err != nil || info.Size != int64(len(data)) || info.ModTime.IsZero() {
		t.Fatalf("Open: %+v %v", info, err)
	}
	if all, err := io.ReadAll(f); err != nil || !bytes.Equal(all, data) {
		t.Fatalf("content differs: %d bytes, %v", len(all), err)
	}
	if _, err := f.Seek(4995, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if _, err := io.ReadFull(f, buf); err != nil || string(buf) != "5678901234" {
		t.Fatalf("read after Seek: %q %v", buf, err)
	}
	if n, err := f.Seek(-3, io.SeekEnd); err != nil || n != int64(len(data))-3 {
		t.Fatalf("Seek from end: %d %v", n, err)
	}
	if rest, err := io.ReadAll(f); err != nil || string(rest) != "789" {
		t.Fatalf("tail: %q %v", rest, err)
	}
	_ = f.Close()

	// A reader of unknown length (a multipart upload part, say).
	if err := s.Put(ctx, "items/a/m2/stream", io.MultiReader(strings.NewReader("abc"), strings.NewReader("def"))); err != nil {
		t.Fatal(err)
	}
	if f, info, err := s.Open(ctx, "items/a/m2/stream"); err != nil || info.Size != 6 {
		t.Fatalf("unknown-length Put: %+v %v", info, err)
	} else {
		_ = f.Close()
	}

	// A range request through FileServer's http.ServeContent.
	svc := &Service{cfg: Config{}.Defaults(), store: s}
	req := httptest.NewRequest(http.MethodGet, "/media/items/a/m1/v/w320.jpg", nil)
	req.SetPathValue("key", "items/a/m1/v/w320.jpg")
	req.Header.Set("Range", "bytes=10-19")
	rec := httptest.NewRecorder()
	svc.FileServer().ServeHTTP(rec, req)
	if rec.Code != http.StatusPartialContent || rec.Body.String() != "0123456789" ||
		rec.Header().Get("Content-Range") != "bytes 10-19/10000" {
		t.Fatalf("range: %d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}

	if _, _, err := s.Open(ctx, "items/a/m1/v/missing.jpg"); !errors.Is(err, ErrNoObject) {
		t.Fatalf("missing: %v", err)
	}
	for _, key := range []string{"../outside", "/abs", ""} {
		if err := s.Put(ctx, key, strings.NewReader("x")); !errors.Is(err, ErrBadKey) {
			t.Errorf("Put(%q) = %v, want ErrBadKey", key, err)
		}
	}
	for _, bad := range []string{"items/a", "../", "/", ""} {
		if err := s.Delete(ctx, bad); !errors.Is(err, ErrBadKey) {
			t.Errorf("Delete(%q) = %v, want ErrBadKey", bad, err)
		}
	}
	if err := s.Delete(ctx, "items/a/"); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"items/a/m1/v/w320.jpg", "items/a/m1/v/hls/master.m3u8", "items/a/m2/original"} {
		if _, _, err := s.Open(ctx, key); !errors.Is(err, ErrNoObject) {
			t.Errorf("after Delete, %s: %v", key, err)
		}
	}
	if f, _, err := s.Open(ctx, "items/b/m3/original"); err != nil {
		t.Fatalf("another prefix was deleted: %v", err)
	} else {
		_ = f.Close()
	}
	if err := s.Delete(ctx, "items/nothing/"); err != nil {
		t.Fatalf("Delete of a missing prefix: %v", err)
	}
}

// TestS3RoundTrip uploads a video through the HTTP API into an S3 store,
// processes it, and fetches its files back through FileServer.
func TestS3RoundTrip(t *testing.T) {
	clip := testClip(t)
	s3cfg := fakeS3(t)
	e := newEnv(t, func(c *Config) { c.S3 = s3cfg })
	if _, ok := e.svc.Store().(*S3Store); !ok {
		t.Fatalf("store is %T, want *S3Store", e.svc.Store())
	}
	id := e.uploadVideo(clip)
	if err := e.svc.Process(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if st, reason := e.status(id); st != StatusReady {
		t.Fatalf("status %s (%s)", st, reason)
	}
	refs, _ := e.svc.items.MediaOf(context.Background(), []string{e.item})
	urls := e.svc.URLs(refs[e.item][0])
	resp, body := e.get(urls["hls"])
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "#EXTM3U") {
		t.Fatalf("master: %d %q", resp.StatusCode, body)
	}
	if resp, body := e.get(urls["poster"], "Range", "bytes=0-1"); resp.StatusCode != http.StatusPartialContent ||
		!bytes.Equal(body, []byte{0xff, 0xd8}) {
		t.Fatalf("poster range: %d %x", resp.StatusCode, body)
	}
	if files := files(t, e.cfg.Dir); len(files) != 0 {
		t.Fatalf("files written to disk with an S3 store: %v", files)
	}
	if err := e.svc.DeleteItemFiles(context.Background(), e.item); err != nil {
		t.Fatal(err)
	}
	if resp, _ := e.get(urls["poster"]); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("poster after DeleteItemFiles: %d", resp.StatusCode)
	}
}

func TestS3ConfigFromEnv(t *testing.T) {
	env := map[string]string{"MEDIA_S3_ENDPOINT": "https://s3.example.net", "MEDIA_S3_BUCKET": "b",
		"MEDIA_S3_ACCESS_KEY": "k", "MEDIA_S3_SECRET_KEY": "s", "MEDIA_S3_REGION": "eu-west-1"}
	c, err := LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := S3Config{Endpoint: "https://s3.example.net", Bucket: "b", AccessKey: "k", SecretKey: "s",
		Region: "eu-west-1", UseSSL: true}
	if c.S3 != want {
		t.Fatalf("S3 config %+v, want %+v", c.S3, want)
	}
	env["MEDIA_S3_USE_SSL"] = "false"
	if c, err := LoadConfig(func(k string) string { return env[k] }); err != nil || c.S3.UseSSL {
		t.Fatalf("MEDIA_S3_USE_SSL=false: %+v %v", c.S3, err)
	}
	env["MEDIA_S3_USE_SSL"] = "maybe"
	if _, err := LoadConfig(func(k string) string { return env[k] }); err == nil ||
		!strings.Contains(err.Error(), "MEDIA_S3_USE_SSL") {
		t.Fatalf("bad MEDIA_S3_USE_SSL: %v", err)
	}
	if _, err := NewS3Store(context.Background(), S3Config{Endpoint: "ftp://x", Bucket: "b", AccessKey: "k",
		SecretKey: "s"}); err == nil || !strings.Contains(err.Error(), "MEDIA_S3_ENDPOINT") {
		t.Fatalf("ftp endpoint: %v", err)
	}
}
