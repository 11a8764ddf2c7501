package bidding

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// BenchmarkIngressSteps measures each Redis step of Submit on its own, one
// call at a time, so the cost of each round trip is visible:
//
//	go test ./bidding -run '^$' -bench IngressSteps -benchtime 2000x
//
// "sequence" is the one script that dedupes, numbers, logs and nudges;
// "enqueue" is Asynq's enqueue of the task (its own script, on keys of
// Asynq's own layout); "submit" is the whole of Submit. Each sub-benchmark
// uses a room of its own.
func BenchmarkIngressSteps(b *testing.B) {
	ctx := context.Background()
	rdb := testRedis(b)
	in := NewIngress(rdb, NewOutcomes(rdb, nil), IngressConfig{})
	b.Cleanup(func() { in.Close() })
	ttl := int64(time.Hour / time.Second)
	b.Run("sequence", func(b *testing.B) {
		room, lot := newUUID(), newUUID()
		payload, _ := json.Marshal(sampleBid(room, lot, 0))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			bid := sampleBid(room, lot, i)
			err := sequenceScript.Run(ctx, rdb, []string{seqKey(room), bidIDsKey(room), logKey(room), receivedKey(room), leaseKey(room)},
				bidKey(bid.BidderID, bid.BidID), payload, nudgeChannel(room), ttl, "").Err()
			if err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		rdb.Del(ctx, seqKey(room), bidIDsKey(room), logKey(room), receivedKey(room))
	})
	b.Run("enqueue", func(b *testing.B) {
		room, lot := newUUID(), newUUID()
		payload, _ := json.Marshal(sampleBid(room, lot, 0))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			bid := sampleBid(room, lot, i)
			_, err := in.tasks.client.EnqueueContext(ctx, asynq.NewTask(TaskPlaceBid, payload),
				asynq.Queue(QueueName(room)), asynq.TaskID(bidKey(bid.BidderID, bid.BidID)), asynq.MaxRetry(50),
				asynq.Timeout(30*time.Second), asynq.Retention(time.Hour))
			if err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		deleteQueue(b, rdb, room)
	})
	b.Run("submit", func(b *testing.B) {
		room, lot := newUUID(), newUUID()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := in.Submit(ctx, sampleBid(room, lot, i)); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		deleteQueue(b, rdb, room)
	})
}

// deleteQueue removes a benchmark room's Asynq queue and its tasks from the
// shared Redis.
func deleteQueue(b testing.TB, rdb redis.UniversalClient, roomID string) {
	if err := asynq.NewInspectorFromRedisClient(rdb).DeleteQueue(QueueName(roomID), true); err != nil {
		b.Logf("delete queue of room %s: %v", roomID, err)
	}
	rdb.Del(context.Background(), seqKey(roomID), bidIDsKey(roomID), logKey(roomID), receivedKey(roomID))
}
