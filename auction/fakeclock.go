package auction

import (
	"sync"
	"time"
)

// FakeClock is a Clock for tests, in this package and others, that moves
// only when told to. Timers fire during Advance or Set by a non-blocking
// send on a one-slot channel, the way a time.Timer does.
//
// It is exported on purpose, as the test half of the Clock contract: the
// package's own tests drive the actor with it (so it cannot live in a
// separate test-support package, which would import auction back), and
// other packages' tests (bidding's live rooms) drive room deadlines with it
// without sleeping.
//
// Advance returns once the timers have fired, not once the actor has
// handled them: the actor selects between its timer and its commands, so a
// command sent right after Advance may be handled first. Tests that need
// the effect wait for the event (lot.closing, lot.closed) on their sink, or
// use testing/synctest with SystemClock, where synctest.Wait gives that
// guarantee. FakeClock is safe for concurrent use.
type FakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

// NewFakeClock returns a fake clock reading start.
func NewFakeClock(start time.Time) *FakeClock { return &FakeClock{now: start} }

// Now returns the fake time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer returns a fake timer that fires once the clock reaches now+d.
func (c *FakeClock) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{clock: c, ch: make(chan time.Time, 1)}
	t.Reset(d)
	return t
}

// Advance moves the clock forward by d and fires the timers that are due.
func (c *FakeClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// Set moves the clock to t (never backwards) and fires the timers due.
func (c *FakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
	keep := c.timers[:0]
	for _, ft := range c.timers {
		if ft.at.After(c.now) {
			keep = append(keep, ft)
			continue
		}
		select {
		case ft.ch <- c.now:
		default:
		}
	}
	clear(c.timers[len(keep):])
	c.timers = keep
}

// Pending returns how many timers are armed, for tests that check the
// actor stopped its timer.
func (c *FakeClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// fakeTimer is a FakeClock timer.
type fakeTimer struct {
	clock *FakeClock
	ch    chan time.Time
	at    time.Time
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

// Stop disarms the timer and drains a value not yet received, matching
// time.Timer's behaviour since Go 1.23.
func (t *fakeTimer) Stop() bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	return t.stopLocked()
}

func (t *fakeTimer) stopLocked() bool {
	select {
	case <-t.ch:
	default:
	}
	for i, ft := range t.clock.timers {
		if ft == t {
			t.clock.timers = append(t.clock.timers[:i], t.clock.timers[i+1:]...)
			return true
		}
	}
	return false
}

// Reset re-arms the timer; a non-positive d fires it at once.
func (t *fakeTimer) Reset(d time.Duration) bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	was := t.stopLocked()
	t.at = c.now.Add(d)
	if d <= 0 {
		t.ch <- c.now
		return was
	}
	c.timers = append(c.timers, t)
	return was
}
