package bidding

import (
	"context"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// BenchmarkIngressSubmit measures Submit, one call at a time: its one
// script (dedupe, number, stamp, log, backstop task, nudge) and the
// encoding around it.
//
//	go test ./bidding -run '^$' -bench IngressSubmit -benchtime 2000x
func BenchmarkIngressSubmit(b *testing.B) {
	ctx := context.Background()
	rdb := testRedis(b)
	in := NewIngress(rdb, NewOutcomes(rdb, nil), IngressConfig{})
	room, lot := newUUID(), newUUID()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := in.Submit(ctx, sampleBid(room, lot, i)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	deleteQueue(b, rdb, room)
}

// deleteQueue removes a benchmark room's Asynq queue and its tasks from the
// shared Redis.
func deleteQueue(b testing.TB, rdb redis.UniversalClient, roomID string) {
	if err := asynq.NewInspectorFromRedisClient(rdb).DeleteQueue(QueueName(roomID), true); err != nil {
		b.Logf("delete queue of room %s: %v", roomID, err)
	}
	rdb.Del(context.Background(), seqKey(roomID), bidIDsKey(roomID), logKey(roomID), receivedKey(roomID))
}
