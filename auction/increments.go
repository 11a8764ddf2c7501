package auction

import "fmt"

// Band is one row of an increment table: from price From (minor units,
// inclusive) upward, the next bid must be at least Step higher. Its stored
// shape is storage.IncrementBand.
type Band struct {
	From int64
	Step int64
}

// Increments is an increment table: bands sorted by From, the first starting
// at zero. It is shared read-only between lots and never modified.
type Increments []Band

// DefaultIncrements is the table used when a lot names none. It is written
// in minor units and follows the usual auction-house ladder: roughly 2–5% of
// the price, in round steps.
var DefaultIncrements = Increments{
	{From: 0, Step: 50},
	{From: 1_000, Step: 100},
	{From: 5_000, Step: 250},
	{From: 10_000, Step: 500},
	{From: 25_000, Step: 1_000},
	{From: 50_000, Step: 2_500},
	{From: 100_000, Step: 5_000},
	{From: 250_000, Step: 10_000},
	{From: 500_000, Step: 25_000},
	{From: 1_000_000, Step: 50_000},
	{From: 2_500_000, Step: 100_000},
	{From: 5_000_000, Step: 250_000},
	{From: 10_000_000, Step: 500_000},
}

// Validate checks that the table is usable: non-empty, starting at zero,
// strictly increasing From, positive steps within MaxAmount.
func (t Increments) Validate() error {
	if len(t) == 0 {
		return fmt.Errorf("%w: increment table is empty", ErrInvalidConfig)
	}
	if t[0].From != 0 {
		return fmt.Errorf("%w: increment table must start at 0, starts at %d", ErrInvalidConfig, t[0].From)
	}
	for i, b := range t {
		if b.Step <= 0 || b.Step > MaxAmount {
			return fmt.Errorf("%w: increment band %d: step %d must be in 1..%d", ErrInvalidConfig, i, b.Step, MaxAmount)
		}
		if b.From < 0 || b.From > MaxAmount {
			return fmt.Errorf("%w: increment band %d: from %d out of range", ErrInvalidConfig, i, b.From)
		}
		if i > 0 && b.From <= t[i-1].From {
			return fmt.Errorf("%w: increment bands must be sorted by strictly increasing from (band %d: %d after %d)",
				ErrInvalidConfig, i, b.From, t[i-1].From)
		}
	}
	return nil
}

// Step returns the increment that applies at price.
func (t Increments) Step(price int64) int64 {
	// Tables are short (about a dozen bands); a linear scan from the top
	// beats a binary search and allocates nothing.
	for i := len(t) - 1; i >= 0; i-- {
		if price >= t[i].From {
			return t[i].Step
		}
	}
	return t[0].Step
}

// Next returns the smallest amount that beats price, or ok=false when that
// would exceed MaxAmount.
func (t Increments) Next(price int64) (int64, bool) {
	return addAmount(price, t.Step(price))
}
