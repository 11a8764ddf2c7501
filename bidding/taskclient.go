package bidding

import (
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// ClientOption adjusts how NewBackground reaches Asynq.
type ClientOption func(*taskClient)

// WithTaskClient makes the Background enqueue through c, the process's one
// Asynq client, which the caller owns and closes (after the Background has
// stopped). Without it the Background opens its own client on its Redis.
func WithTaskClient(c *asynq.Client) ClientOption {
	return func(t *taskClient) { t.client = c }
}

// taskClient is an Asynq client and whether its holder must close it.
type taskClient struct {
	client *asynq.Client
	owned  bool
}

// newTaskClient applies opts, opening a client on rdb when none was given.
func newTaskClient(rdb redis.UniversalClient, opts []ClientOption) taskClient {
	var t taskClient
	for _, o := range opts {
		o(&t)
	}
	if t.client == nil {
		t.client, t.owned = asynq.NewClientFromRedisClient(rdb), true
	}
	return t
}

// close closes the client if its holder opened it.
func (t taskClient) close() error {
	if !t.owned {
		return nil
	}
	return t.client.Close()
}
