package bidding

import (
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// ClientOption adjusts how NewBackground reaches Asynq.
type ClientOption func(*taskClient)

// WithTaskClient makes the Background enqueue through c, the process's one
// Asynq client, which the caller owns and closes (after the Background has
// stopped). Without it the Background makes one over its Redis.
func WithTaskClient(c *asynq.Client) ClientOption {
	return func(t *taskClient) { t.client = c }
}

// taskClient is the Asynq client a Background enqueues through. One made
// here shares rdb's connections, so it holds nothing of its own to close
// (Asynq refuses to close a client over a shared connection).
type taskClient struct {
	client *asynq.Client
}

// newTaskClient applies opts, making a client over rdb when none was given.
func newTaskClient(rdb redis.UniversalClient, opts []ClientOption) taskClient {
	var t taskClient
	for _, o := range opts {
		o(&t)
	}
	if t.client == nil {
		t.client = asynq.NewClientFromRedisClient(rdb)
	}
	return t
}
