package bidding

import (
	"context"
	"testing"

	"github.com/hibiken/asynq"
)

// TestTaskClientOwnership holds the one-client-per-process rule: a
// Background given the process's Asynq client enqueues through it and
// never closes it.
func TestTaskClientOwnership(t *testing.T) {
	rdb := testRedis(t)
	ctx := context.Background()
	shared := asynq.NewClientFromRedisClient(rdb)
	defer shared.Close()
	probe := func(c *asynq.Client) error {
		_, err := c.EnqueueContext(ctx, asynq.NewTask("probe", nil), asynq.Queue("probe:"+newUUID()))
		return err
	}

	t.Run("background given a client", func(t *testing.T) {
		bg := NewBackground(BackgroundConfig{}, nil, rdb, quietLog(), WithTaskClient(shared))
		if bg.tasks.client != shared {
			t.Fatal("the Background does not enqueue through the given client")
		}
		stopped, cancel := context.WithCancel(ctx)
		cancel()
		if err := bg.Run(stopped); err != nil {
			t.Fatal(err)
		}
		if err := probe(shared); err != nil {
			t.Fatalf("the Background closed the caller's client: %v", err)
		}
	})
	if err := probe(shared); err != nil {
		t.Fatalf("the shared client was closed: %v", err)
	}
}
