package auction

import (
	"fmt"
	"time"
)

// Policy names a lot's clock policy.
type Policy string

// Clock policies.
const (
	// PolicyDynamic removes time with each bid in proportion to how far it
	// raises the price, never below a floor that leaves rivals time to
	// answer; a bid landing under the floor resets the clock to the floor.
	PolicyDynamic Policy = "dynamic"
	// PolicySoftClose extends the deadline to now+ExtendMS when a bid lands
	// in the last ExtendMS.
	PolicySoftClose Policy = "soft-close"
	// PolicySuddenDeath is a hard deadline.
	PolicySuddenDeath Policy = "sudden-death"
)

// MaxDurationMS bounds any clock length (one week): a lot is a live event.
const MaxDurationMS int64 = 7 * 24 * 3600 * 1000

// Tier is one step of the dynamic policy: a bid raising the price by at
// least RaiseBP basis points (500 = 5%) removes CutMS from the clock. Its
// stored shape is storage.PolicyTier.
type Tier struct {
	RaiseBP int64
	CutMS   int64
}

// DefaultTiers are the dynamic policy's tiers when a lot names none:
// +5% → −2 s, +10% → −5 s, +25% → −10 s.
var DefaultTiers = []Tier{
	{RaiseBP: 500, CutMS: 2_000},
	{RaiseBP: 1_000, CutMS: 5_000},
	{RaiseBP: 2_500, CutMS: 10_000},
}

// ClockConfig is a lot's clock: its policy and the policy's parameters, all
// in integer milliseconds.
type ClockConfig struct {
	Policy Policy
	// DurationMS is the clock's length when the lot starts.
	DurationMS int64
	// FloorMS (dynamic) is the least time a bid leaves on the clock.
	FloorMS int64
	// Tiers (dynamic) sorted by strictly increasing RaiseBP; nil means
	// DefaultTiers.
	Tiers []Tier
	// ExtendMS (soft-close) is both the closing window and the extension.
	ExtendMS int64
}

// Validate checks the clock's parameters for its policy.
func (c *ClockConfig) Validate() error {
	if c.DurationMS <= 0 || c.DurationMS > MaxDurationMS {
		return fmt.Errorf("%w: clock duration %d ms must be in 1..%d", ErrInvalidConfig, c.DurationMS, MaxDurationMS)
	}
	switch c.Policy {
	case PolicyDynamic:
		if c.FloorMS <= 0 || c.FloorMS > c.DurationMS {
			return fmt.Errorf("%w: dynamic clock floor %d ms must be in 1..duration (%d ms)",
				ErrInvalidConfig, c.FloorMS, c.DurationMS)
		}
		for i, t := range c.Tiers {
			if t.RaiseBP <= 0 || t.CutMS < 0 || t.CutMS > MaxDurationMS {
				return fmt.Errorf("%w: dynamic tier %d: raise %d bp must be positive and cut %d ms in 0..%d",
					ErrInvalidConfig, i, t.RaiseBP, t.CutMS, MaxDurationMS)
			}
			if i > 0 && (t.RaiseBP <= c.Tiers[i-1].RaiseBP || t.CutMS < c.Tiers[i-1].CutMS) {
				return fmt.Errorf("%w: dynamic tiers must be sorted by increasing raise with non-decreasing cut (tier %d)",
					ErrInvalidConfig, i)
			}
		}
	case PolicySoftClose:
		if c.ExtendMS <= 0 || c.ExtendMS > MaxDurationMS {
			return fmt.Errorf("%w: soft-close extension %d ms must be in 1..%d", ErrInvalidConfig, c.ExtendMS, MaxDurationMS)
		}
	case PolicySuddenDeath:
	default:
		return fmt.Errorf("%w: unknown clock policy %q", ErrInvalidConfig, c.Policy)
	}
	return nil
}

// tiers returns the dynamic tiers in force.
func (c *ClockConfig) tiers() []Tier {
	if c.Tiers == nil {
		return DefaultTiers
	}
	return c.Tiers
}

// cut returns how much time (ms) a raise of bp basis points removes under
// the dynamic policy: the cut of the highest tier the raise reaches.
func (c *ClockConfig) cut(bp int64) int64 {
	var cut int64
	for _, t := range c.tiers() {
		if bp < t.RaiseBP {
			break
		}
		cut = t.CutMS
	}
	return cut
}

// afterBid returns the deadline in force after a bid received at now raised
// the price from prev to price. prev is the previous high bid, or the
// opening price for the first bid.
func (c *ClockConfig) afterBid(deadline, now time.Time, prev, price int64) time.Time {
	remaining := deadline.Sub(now)
	switch c.Policy {
	case PolicyDynamic:
		floor := ms(c.FloorMS)
		left := remaining - ms(c.cut(raiseBP(prev, price)))
		if left < floor {
			// Never below the floor: rivals always get FloorMS to answer,
			// and a bid landing under the floor resets the clock to it.
			left = floor
		}
		if left == remaining {
			return deadline
		}
		return now.Add(left)
	case PolicySoftClose:
		if window := ms(c.ExtendMS); remaining < window {
			return now.Add(window)
		}
	}
	return deadline
}

// ms converts integer milliseconds to a Duration.
func ms(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
