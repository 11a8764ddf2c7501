package bidding

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// drainMark is what a room's pipeline must have decided before a lot
// whose deadline passed may close: every bid sequenced when the actor
// first asked (Pipeline.Drained).
type drainMark struct {
	mu       sync.Mutex
	deadline time.Time
	upTo     int64
}

// Drained reports whether every bid received before deadline has been
// decided, for the room actor (auction.Config.Drained) before it closes a
// lot. The first time it is asked about a deadline, at the end of the
// lot's grace, it reads the room's ingress counter: a bid received before
// the deadline was sequenced by then (unless its own trip from the gateway
// to Redis took longer than the grace), so once the pipeline has decided
// every bid up to that number none received in time is still on its way.
// Bids sequenced later, received after the deadline, do not hold the close,
// so a storm of late bids cannot keep a lot open. While the answer is no,
// it nudges the sequencer toward the mark.
func (p *Pipeline) Drained(ctx context.Context, deadline time.Time) (bool, error) {
	m := &p.drain
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.deadline.Equal(deadline) {
		cur, err := p.rdb.Get(ctx, seqKey(p.roomID)).Int64()
		if err != nil && !errors.Is(err, redis.Nil) {
			return false, fmt.Errorf("read the ingress counter of room %s: %w", p.roomID, err)
		}
		m.deadline, m.upTo = deadline, cur
	}
	if p.seq.applied.Load() >= m.upTo {
		return true, nil
	}
	p.seq.nudge(m.upTo, nil)
	return false, nil
}
