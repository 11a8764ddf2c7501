package media

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	tusd "github.com/tus/tusd/v2/pkg/handler"
)

// TestRedisLockerHandsOver: a second request for a held upload asks the
// holder to let go and gets the lock once it has; one that cannot get it
// in time is told so; nothing of a released lock stays behind.
func TestRedisLockerHandsOver(t *testing.T) {
	e := newEnv(t, nil)
	l := &redisLocker{rdb: e.rdb}
	ctx := context.Background()
	a, _ := l.NewLock("u1")
	asked := make(chan struct{})
	if err := a.Lock(ctx, func() { close(asked) }); err != nil {
		t.Fatal(err)
	}
	b, _ := l.NewLock("u1")
	got := make(chan error, 1)
	go func() {
		bctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		got <- b.Lock(bctx, func() {})
	}()
	select {
	case <-asked:
	case <-time.After(10 * time.Second):
		t.Fatal("the holder was never asked to let go")
	}
	select {
	case err := <-got:
		t.Fatalf("the second request got the lock (%v) while the first held it", err)
	default:
	}
	if err := a.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("second lock: %v", err)
	}

	c, _ := l.NewLock("u1")
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := c.Lock(cctx, func() {}); !errors.Is(err, tusd.ErrLockTimeout) {
		t.Fatalf("a lock held on to: %v, want ErrLockTimeout", err)
	}
	if err := b.Unlock(); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.rdb.Exists(ctx, "media:tus:lock:u1").Result(); n != 0 {
		t.Fatal("the lock's key outlived Unlock")
	}
	buf := make([]byte, 1<<20)
	if stacks := string(buf[:runtime.Stack(buf, true)]); strings.Contains(stacks, "redisLock).hold") {
		t.Fatalf("a lock's holder goroutine outlived Unlock:\n%s", stacks)
	}
}

// TestResumableAcrossNodes starts an upload on one node and finishes it on
// another sharing the bucket, Redis and Postgres, as behind a load
// balancer without affinity.
func TestResumableAcrossNodes(t *testing.T) {
	s3cfg := fakeS3(t)
	root := t.TempDir()
	e := newEnv(t, func(c *Config) {
		c.S3 = s3cfg
		c.Dir, c.TempDir = filepath.Join(root, "store"), filepath.Join(root, "tmp")
	})
	other, err := NewService(e.cfg, e.db, e.rdb, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	nodeA, nodeB := e.tusServer(e.svc), e.tusServer(other)
	img := testJPEG(t, 200, 150)
	c := tusCreate(t, nodeA, e.seller, e.item, len(img))
	half := len(img) / 2
	if a := tusPatch(t, c.Location, e.seller, 0, img[:half]); a.Status != http.StatusNoContent {
		t.Fatalf("first half on A: %+v", a)
	}
	onB := nodeB.URL + c.Location[strings.Index(c.Location, "/api/"):]
	h := tusDo(t, "HEAD", onB, e.seller, nil, nil)
	if h.Status != http.StatusOK || h.Offset != int64(half) {
		t.Fatalf("head on B: %+v", h)
	}
	a := tusPatch(t, onB, e.seller, half, img[half:])
	if a.Status != http.StatusNoContent || a.MediaID == "" {
		t.Fatalf("rest on B: %+v", a)
	}
	if e.mediaCount() != 1 {
		t.Fatalf("%d rows", e.mediaCount())
	}
}
