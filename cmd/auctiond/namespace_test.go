package main

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/internal/namespace"
	"github.com/bidcast/bidcast/internal/testenv"
	"github.com/bidcast/bidcast/media"
)

// TestDeploymentsOnOneRedisKeepTheirTasks runs two deployments (each its
// own Postgres database) on one Redis database. Each names its queues in a
// namespace of its own, derived from its database, so the other's workers
// never take its tasks: every upload to the first is processed by the
// first, although the second's media worker serves the same Redis. (With
// one shared queue name the second took about half of them, found no such
// upload in its database, and the first's stayed "processing" for good.)
// REDIS_NAMESPACE overrides the derived name.
func TestDeploymentsOnOneRedisKeepTheirTasks(t *testing.T) {
	url := testenv.StartRedis(t).URL()
	a := newShowOn(t, url, 1, time.Minute)
	b := newShowOn(t, url, 1, time.Minute)
	if a.app.ns == namespace.None || a.app.ns == b.app.ns {
		t.Fatalf("namespaces %q and %q: want two, neither none", a.app.ns, b.app.ns)
	}
	again, err := namespace.Choose(namespace.None, func() (string, error) { return a.app.db.DeploymentID(context.Background()) })
	if err != nil || again != a.app.ns {
		t.Fatalf("the namespace read again = %q, %v; want %q (every node of a deployment agrees)", again, err, a.app.ns)
	}

	var items []string
	for range 6 {
		items = append(items, uploadPhoto(t, a))
	}
	for _, id := range items {
		waitVariants(t, a, id)
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: opts.Addr, Password: opts.Password, DB: opts.DB})
	defer insp.Close()
	queues, err := insp.Queues()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, q := range queues {
		if q == media.Queue {
			t.Errorf("a task went to the queue of releases before namespaces, %q (queues %v)", q, queues)
		}
		found = found || q == a.app.ns.Name(media.Queue)
	}
	if !found {
		t.Errorf("no queue %q among %v", a.app.ns.Name(media.Queue), queues)
	}

	c := newShowWith(t, url, quiet(), map[string]string{"REDIS_NAMESPACE": "staging"}, 1, time.Minute)
	if c.app.ns != "staging" {
		t.Fatalf("namespace with REDIS_NAMESPACE=staging: %q", c.app.ns)
	}
}
