package signaling

import (
	"container/heap"
	"time"
)

// Held writers in the write pool. While events keep coming, a connection's
// writer holds its queue until EventInterval has passed since its last
// message of events (writer.go). A pool-run writer does not wait on a
// goroutine and a timer of its own: the connection is parked in the pool's
// heap of holds, and one timer puts it back in the pool's queue when its
// hold ends, together with every other connection whose hold has ended by
// then. Hold ends are rounded up to holdGrain, so a storm's thousands of
// holds end in at most one batch per grain; a hold is never shorter than
// EventInterval. Anything urgent, or the connection closing, ends the hold
// at once (wakeLocked).

// holdGrain is the resolution of the pool's hold ends.
const holdGrain = time.Millisecond

// parkedConn is a connection parked until due (Unix ns); gen tells a hold
// that still stands from one ended early.
type parkedConn struct {
	due int64
	c   *conn
	gen uint64
}

// parkHeap orders parked connections by due.
type parkHeap []parkedConn

func (h parkHeap) Len() int           { return len(h) }
func (h parkHeap) Less(i, j int) bool { return h[i].due < h[j].due }
func (h parkHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *parkHeap) Push(x any)        { *h = append(*h, x.(parkedConn)) }
func (h *parkHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = parkedConn{}
	*h = old[:len(old)-1]
	return x
}

// parkLocked parks c's writer until until (rounded up to holdGrain). c.wmu
// is held; c's writer stays claimed (c.writing, its helpers count).
func (p *writePool) parkLocked(c *conn, until time.Time) {
	c.held = true
	c.holdGen++
	due := (until.UnixNano() + int64(holdGrain) - 1) / int64(holdGrain) * int64(holdGrain)
	p.mu.Lock()
	heap.Push(&p.holds, parkedConn{due: due, c: c, gen: c.holdGen})
	if p.timerAt == 0 || due < p.timerAt {
		p.armLocked(due)
	}
	p.mu.Unlock()
}

// armLocked sets the pool's timer to fire at due. p.mu is held.
func (p *writePool) armLocked(due int64) {
	p.timerAt = due
	d := time.Until(time.Unix(0, due))
	if p.timer == nil {
		p.timer = time.AfterFunc(d, p.endHolds)
	} else {
		p.timer.Reset(d)
	}
}

// endHolds runs from the timer: every connection whose hold has ended goes
// back to the pool's queue.
func (p *writePool) endHolds() {
	now := time.Now().UnixNano()
	p.mu.Lock()
	var due []parkedConn
	for len(p.holds) > 0 && p.holds[0].due <= now {
		due = append(due, heap.Pop(&p.holds).(parkedConn))
	}
	p.timerAt = 0
	if len(p.holds) > 0 {
		p.armLocked(p.holds[0].due)
	}
	p.mu.Unlock()
	for _, h := range due {
		h.c.wmu.Lock()
		if h.c.held && h.c.holdGen == h.gen {
			h.c.held = false
			p.submit(h.c)
		}
		h.c.wmu.Unlock()
	}
}

// unparkLocked ends c's hold early and queues its writer. c.wmu is held
// and c.held is true. The heap entry stays until its time, then is
// skipped.
func (p *writePool) unparkLocked(c *conn) {
	c.held = false
	c.holdGen++
	p.submit(c)
}
