package auction

import "time"

// Clock is the room actor's source of time. The actor reads Now for every
// decision that depends on time and arms one Timer for its next deadline.
// Injecting it lets tests drive the clock without sleeping.
type Clock interface {
	Now() time.Time
	// NewTimer returns a started timer that fires once after d.
	NewTimer(d time.Duration) Timer
}

// Timer is a one-shot timer. Like time.Timer since Go 1.23, Stop and Reset
// guarantee that no value from before the call is received afterwards; the
// actor still re-checks the time when it fires, so an early or stale fire
// is harmless.
type Timer interface {
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it was armed.
	Stop() bool
	// Reset re-arms the timer to fire after d.
	Reset(d time.Duration) bool
}

// SystemClock is the real clock. It is the only place the package reads
// the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// NewTimer returns a time.Timer as a Timer.
func (SystemClock) NewTimer(d time.Duration) Timer { return sysTimer{time.NewTimer(d)} }

// sysTimer adapts *time.Timer to Timer.
type sysTimer struct{ t *time.Timer }

func (s sysTimer) C() <-chan time.Time        { return s.t.C }
func (s sysTimer) Stop() bool                 { return s.t.Stop() }
func (s sysTimer) Reset(d time.Duration) bool { return s.t.Reset(d) }
