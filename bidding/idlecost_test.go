package bidding

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/internal/testenv"
)

// commandsProcessed reads Redis's total_commands_processed, which counts
// every command, including those a Lua script runs.
func commandsProcessed(t testing.TB, rdb redis.UniversalClient) int64 {
	info, err := rdb.Info(context.Background(), "stats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "total_commands_processed:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	t.Fatal("total_commands_processed missing from INFO")
	return 0
}

// BenchmarkIdleRoomRedisCost measures the Redis commands per second that
// idle live rooms cost (queue polls, heartbeats, forwarders, the nudge
// subscription), on a private Redis so nothing else is counted. Run with
//
//	go test ./bidding -run '^$' -bench IdleRoomRedisCost -benchtime 1x
func BenchmarkIdleRoomRedisCost(b *testing.B) {
	for _, interval := range []time.Duration{200 * time.Millisecond, time.Second} {
		b.Run("check="+interval.String(), func(b *testing.B) {
			rs := testenv.StartRedis(b)
			opts, _ := redis.ParseURL(rs.URL())
			rdb := redis.NewClient(opts)
			defer rdb.Close()
			const rooms = 10
			const window = 10 * time.Second
			app := newRecordingApplier()
			outcomes := NewOutcomes(rdb, nil)
			var ps []*Pipeline
			for i := 0; i < rooms; i++ {
				p, err := StartPipeline(context.Background(), newUUID(), rdb, app, outcomes, app,
					PipelineConfig{TaskCheckInterval: interval}, quietLog())
				if err != nil {
					b.Fatal(err)
				}
				ps = append(ps, p)
			}
			time.Sleep(2 * time.Second) // let start-up traffic settle
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				before := commandsProcessed(b, rdb)
				time.Sleep(window)
				after := commandsProcessed(b, rdb)
				b.ReportMetric(float64(after-before-1)/window.Seconds()/rooms, "cmds/s/room")
			}
			b.StopTimer()
			for _, p := range ps {
				p.Stop()
			}
		})
	}
}
