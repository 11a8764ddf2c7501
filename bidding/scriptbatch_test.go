package bidding

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// echoScript returns its argument and the key's new count.
var echoScript = redis.NewScript(`
return {tonumber(ARGV[2]), redis.call('INCR', KEYS[1])}
`)

// TestScriptBatcherSharesRoundTrips: calls that arrive while the one lane
// is busy go together in one pipeline when it frees, each still gets its
// own result, and a pipeline that finds the script gone from Redis (SCRIPT
// FLUSH, a restart) still answers every call.
func TestScriptBatcherSharesRoundTrips(t *testing.T) {
	rdb := privateRedis(t)
	ctx := context.Background()
	key := "batcher:" + newUUID()
	for _, flush := range []bool{false, true} {
		t.Run(fmt.Sprint("script flushed: ", flush), func(t *testing.T) {
			s := newScriptBatcher(rdb, echoScript, 1)
			if err := echoScript.Load(ctx, rdb).Err(); err != nil {
				t.Fatal(err)
			}
			// The one lane is busy (as if a call were in flight).
			s.mu.Lock()
			s.active = 1
			s.mu.Unlock()
			const calls = 20
			var wg sync.WaitGroup
			errs := make(chan error, calls)
			for i := 1; i <= calls; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, err := s.run(ctx, []string{key}, "fast", i)
					if err != nil || len(res) != 2 || res[0] != int64(i) {
						errs <- fmt.Errorf("call %d: %v, %v", i, res, err)
					}
				}()
			}
			waitFor(t, "every call to wait", func() bool {
				s.mu.Lock()
				defer s.mu.Unlock()
				return len(s.waiting) == calls
			})
			if flush {
				if err := rdb.ScriptFlush(ctx).Err(); err != nil {
					t.Fatal(err)
				}
			}
			// The lane's call is done: what waited goes on, as next does.
			go s.drain()
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if s.rounds.Load() != 1 || s.pipelined.Load() != calls {
				t.Fatalf("%d round trips, %d calls pipelined; want 1 of %d", s.rounds.Load(), s.pipelined.Load(), calls)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.active != 0 || len(s.waiting) != 0 {
				t.Fatalf("after the storm: %d lanes busy, %d calls waiting", s.active, len(s.waiting))
			}
		})
	}
}

// TestScriptBatcherGoesAtOnceWhenALaneIsFree: with a lane free a call is
// sent alone, at once.
func TestScriptBatcherGoesAtOnceWhenALaneIsFree(t *testing.T) {
	rdb := testRedis(t)
	s := newScriptBatcher(rdb, echoScript, 2)
	key := "batcher:" + newUUID()
	t.Cleanup(func() { rdb.Del(context.Background(), key) })
	for i := 1; i <= 3; i++ {
		start := time.Now()
		res, err := s.run(context.Background(), []string{key}, "fast", i)
		if err != nil || res[0] != int64(i) || res[1] != int64(i) {
			t.Fatalf("call %d: %v, %v", i, res, err)
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("call %d waited %v", i, time.Since(start))
		}
	}
	if s.rounds.Load() != 3 || s.pipelined.Load() != 0 {
		t.Fatalf("%d round trips, %d pipelined; want 3 alone", s.rounds.Load(), s.pipelined.Load())
	}
}
