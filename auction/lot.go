package auction

import (
	"fmt"
	"time"
)

// Lot is a lot's fixed configuration: what is sold and by which rules. It
// does not change while the lot runs; its changing part is LotState.
type Lot struct {
	ID string
	// Currency of every price on the lot.
	Currency string
	// Opening is the least first bid, in minor units.
	Opening int64
	// Reserve is the hidden least price at which the lot sells; below it the
	// lot ends unsold. Zero means no reserve.
	Reserve int64
	// Increments is the lot's increment table; nil means DefaultIncrements.
	Increments Increments
	Clock      ClockConfig
	// Version is the version of the stored lot when it is started, so the
	// actor's first commit expects it.
	Version int64
}

// Validate checks the lot's configuration and returns an error wrapping
// ErrInvalidConfig that says what is wrong.
func (l *Lot) Validate() error {
	switch {
	case l.ID == "":
		return fmt.Errorf("%w: lot has no id", ErrInvalidConfig)
	case !validCurrency(l.Currency):
		return fmt.Errorf("%w: lot %s: currency %q is not an ISO 4217 code", ErrInvalidConfig, l.ID, l.Currency)
	case !validAmount(l.Opening):
		return fmt.Errorf("%w: lot %s: opening price %d must be in 1..%d", ErrInvalidConfig, l.ID, l.Opening, MaxAmount)
	case l.Reserve < 0 || l.Reserve > MaxAmount:
		return fmt.Errorf("%w: lot %s: reserve %d must be in 0..%d", ErrInvalidConfig, l.ID, l.Reserve, MaxAmount)
	case l.Version < 0:
		return fmt.Errorf("%w: lot %s: negative version", ErrInvalidConfig, l.ID)
	}
	if l.Increments != nil {
		if err := l.Increments.Validate(); err != nil {
			return fmt.Errorf("lot %s: %w", l.ID, err)
		}
	}
	if err := l.Clock.Validate(); err != nil {
		return fmt.Errorf("lot %s: %w", l.ID, err)
	}
	return nil
}

// increments returns the table in force.
func (l *Lot) increments() Increments {
	if l.Increments == nil {
		return DefaultIncrements
	}
	return l.Increments
}

// minNext returns the least acceptable next bid given the state: the
// opening price with no bids, else the high bid plus its increment. ok is
// false when no higher bid fits under MaxAmount.
func (l *Lot) minNext(s *LotState) (int64, bool) {
	if !s.HasBid() {
		return l.Opening, true
	}
	return l.increments().Next(s.HighBid)
}

// reserveMet reports whether price reaches the hidden reserve.
func (l *Lot) reserveMet(price int64) bool { return price >= l.Reserve }

// duration returns the clock's starting length.
func (l *Lot) duration() time.Duration { return ms(l.Clock.DurationMS) }
