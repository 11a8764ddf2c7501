package media

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/bidcast/bidcast/internal/namespace"
)

// TestWorkerDrainsTheQueueOfEarlierReleases: an upload queued by a release
// before namespaces (on "media") is processed by an upgraded worker, whose
// own uploads go to its namespace's queue.
func TestWorkerDrainsTheQueueOfEarlierReleases(t *testing.T) {
	e := newEnv(t, nil) // e.svc has no namespace: the names of earlier releases
	status, out := e.upload(e.seller, e.item, "photo.png", testPNG(t, 400, 300))
	if status != http.StatusAccepted {
		t.Fatalf("upload: %d %v", status, out)
	}
	old := out["id"].(string)
	insp := asynq.NewInspectorFromRedisClient(e.rdb)
	if _, err := insp.GetTaskInfo(Queue, old); err != nil {
		t.Fatalf("the earlier release's task is not on %q: %v", Queue, err)
	}

	ns := namespace.Namespace("x")
	upgraded, err := NewService(e.cfg, e.db, e.rdb, slog.New(slog.NewTextHandler(io.Discard, nil)), WithNamespace(ns))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- upgraded.RunWorker(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	e.svc = upgraded
	status, out = e.upload(e.seller, e.item, "photo2.png", testPNG(t, 300, 200))
	if status != http.StatusAccepted {
		t.Fatalf("upload through the upgraded service: %d %v", status, out)
	}
	fresh := out["id"].(string)
	e.waitReady(old)
	e.waitReady(fresh)
	// Its task is done and gone; the queue it went through stays known.
	queues, err := insp.Queues()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range queues {
		if q == ns.Name(Queue) {
			return
		}
	}
	t.Fatalf("queues %v, want %q among them", queues, ns.Name(Queue))
}
