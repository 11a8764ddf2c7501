package bidding

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// scriptBatcher runs one Redis script for many concurrent callers, sending
// the calls that wait at the same moment in one pipeline: a bid storm over
// many connections then pays one write and one read to Redis per round
// instead of one per bid, on both sides of the socket. Each call is still
// its own script run, atomic on its own, with its own result.
//
// A call never waits for a batch to form: while fewer than maxLanes
// pipelines are in flight it goes at once (alone, if it is alone). Only
// when every lane is busy does it wait, and the next free lane takes it
// with everything else that waited. No goroutine outlives the calls: a
// lane that finds more calls waiting when it is done hands them to a
// goroutine of their own, which ends when none are left.
type scriptBatcher struct {
	rdb    redis.UniversalClient
	script *redis.Script
	lanes  int

	mu      sync.Mutex
	active  int
	waiting []*scriptCall
	// rounds counts the round trips sent, pipelined the calls that shared
	// one (for tests and benchmarks).
	rounds, pipelined atomic.Int64
}

// scriptCall is one caller's run of the script.
type scriptCall struct {
	ctx  context.Context
	keys []string
	args []any
	res  []int64
	err  error
	done chan struct{}
}

// maxScriptBatch caps one pipeline; calls past it go in the next round.
const maxScriptBatch = 128

func newScriptBatcher(rdb redis.UniversalClient, script *redis.Script, lanes int) *scriptBatcher {
	return &scriptBatcher{rdb: rdb, script: script, lanes: lanes}
}

// run runs the script for keys and args and returns its integer results,
// as script.Run(...).Int64Slice() would.
func (s *scriptBatcher) run(ctx context.Context, keys []string, args ...any) ([]int64, error) {
	c := &scriptCall{ctx: ctx, keys: keys, args: args}
	s.mu.Lock()
	if s.active < s.lanes {
		s.active++
		s.mu.Unlock()
		s.send([]*scriptCall{c})
		s.next()
		return c.res, c.err
	}
	c.done = make(chan struct{})
	s.waiting = append(s.waiting, c)
	s.mu.Unlock()
	<-c.done
	return c.res, c.err
}

// next gives the calls that waited meanwhile to a goroutine of their own,
// or frees the caller's lane if none did.
func (s *scriptBatcher) next() {
	s.mu.Lock()
	if len(s.waiting) == 0 {
		s.active--
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	go s.drain()
}

// drain sends the waiting calls, a batch at a time, until none wait, then
// frees its lane.
func (s *scriptBatcher) drain() {
	for {
		s.mu.Lock()
		if len(s.waiting) == 0 {
			s.active--
			s.mu.Unlock()
			return
		}
		n := min(len(s.waiting), maxScriptBatch)
		batch := s.waiting[:n:n]
		s.waiting = s.waiting[n:]
		if len(s.waiting) == 0 {
			s.waiting = nil
		}
		s.mu.Unlock()
		s.send(batch)
		for _, c := range batch {
			close(c.done)
		}
	}
}

// send runs batch: one call alone (Script.Run, which loads the script if
// Redis lost it), more in one pipeline of EVALSHAs, repeating with
// Script.Run any call that found the script missing.
func (s *scriptBatcher) send(batch []*scriptCall) {
	s.rounds.Add(1)
	if len(batch) == 1 {
		c := batch[0]
		c.res, c.err = s.script.Run(c.ctx, s.rdb, c.keys, c.args...).Int64Slice()
		return
	}
	// The pipeline runs for every call in it, so no one caller's
	// cancellation stops it (go-redis's timeouts still bound it).
	s.pipelined.Add(int64(len(batch)))
	ctx := context.WithoutCancel(batch[0].ctx)
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(batch))
	for i, c := range batch {
		cmds[i] = s.script.EvalSha(ctx, pipe, c.keys, c.args...)
	}
	_, _ = pipe.Exec(ctx)
	for i, c := range batch {
		if err := cmds[i].Err(); err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
			c.res, c.err = s.script.Run(c.ctx, s.rdb, c.keys, c.args...).Int64Slice()
			continue
		}
		c.res, c.err = cmds[i].Int64Slice()
	}
}
