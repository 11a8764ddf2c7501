package bidding

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

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

// BenchmarkIngressSubmitParallel measures Submit from many connections at
// once (64 goroutines per core), as a bid storm over many rooms calls it:
// besides ns/op it reports the CPU this process and Redis spent per bid
// (getrusage, and Redis's INFO cpu), since on a shared machine the CPU is
// steadier than the time.
//
//	go test ./bidding -run '^$' -bench IngressSubmitParallel -benchtime 20000x
func BenchmarkIngressSubmitParallel(b *testing.B) {
	ctx := context.Background()
	rdb := testRedis(b)
	in := NewIngress(rdb, NewOutcomes(rdb, nil), IngressConfig{})
	rooms := make([]string, 100)
	for i := range rooms {
		rooms[i] = newUUID()
	}
	lot := newUUID()
	var n atomic.Int64
	b.SetParallelism(64)
	cpu0, redis0 := processCPU(b), redisCPU(b, rdb)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(n.Add(1))
			if _, err := in.Submit(ctx, sampleBid(rooms[i%len(rooms)], lot, i)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N), "cpu-us/op")
	b.ReportMetric(float64((redisCPU(b, rdb)-redis0).Microseconds())/float64(b.N), "redis-cpu-us/op")
	for _, r := range rooms {
		deleteQueue(b, rdb, r)
	}
}

// processCPU is this process's user and system CPU so far.
func processCPU(b testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// redisCPU is the Redis server's user and system CPU so far (INFO cpu).
func redisCPU(b testing.TB, rdb redis.UniversalClient) time.Duration {
	info, err := rdb.Info(context.Background(), "cpu").Result()
	if err != nil {
		b.Fatal(err)
	}
	var total float64
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, _ := strconv.ParseFloat(v, 64)
			total += f
		}
	}
	return time.Duration(total * float64(time.Second))
}
