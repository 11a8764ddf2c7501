package media

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/internal/testenv"
	"github.com/bidcast/bidcast/storage"
	"github.com/bidcast/bidcast/storage/storagetest"
)

// TestServiceUsesCallersTaskClient checks that a process can give the
// service its one Asynq client, and that uploads are queued through it.
func TestServiceUsesCallersTaskClient(t *testing.T) {
	db := storagetest.New(t)
	rs := testenv.StartRedis(t)
	opt, err := redis.ParseURL(rs.URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	tasks := asynq.NewClientFromRedisClient(rdb)
	cfg := Config{Dir: filepath.Join(t.TempDir(), "store"), TempDir: filepath.Join(t.TempDir(), "tmp")}
	svc, err := NewService(cfg, db, rdb, slog.New(slog.NewTextHandler(io.Discard, nil)), WithTaskClient(tasks))
	if err != nil {
		t.Fatal(err)
	}
	if svc.client != tasks {
		t.Fatal("the service opened its own Asynq client instead of the caller's")
	}
	ctx := context.Background()
	seller, err := storage.NewUsers(db).Upsert(ctx, storage.User{Provider: "test", Subject: "s", DisplayName: "s"})
	if err != nil {
		t.Fatal(err)
	}
	item, err := storage.NewItems(db).Create(ctx, storage.Item{SellerID: seller.ID, Title: "Vase"})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := svc.Upload(ctx, seller.ID, false, item.ID, "a.png", bytes.NewReader(testPNG(t, 8, 8)))
	if err != nil {
		t.Fatal(err)
	}
	if info, err := asynq.NewInspectorFromRedisClient(rdb).GetTaskInfo(Queue, ref.ID); err != nil || info.Type != TaskProcess {
		t.Fatalf("task for %s: %v %v", ref.ID, info, err)
	}
}
