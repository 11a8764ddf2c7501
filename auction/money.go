package auction

import (
	"fmt"
	"math"
)

// MaxAmount bounds every amount the engine accepts: 10^15 minor units, far
// above any real price and far enough below math.MaxInt64 that an amount plus
// an increment, or a price difference times 10,000 basis points, is checked
// rather than silently wrapped. It matches the bid pipeline's ingress limit.
const MaxAmount int64 = 1_000_000_000_000_000

// Money is an amount in minor units (cents, or whole won for KRW) of an ISO
// 4217 currency. It is never a float.
type Money struct {
	// Amount is in minor units of Currency.
	Amount int64
	// Currency is a three-letter ISO 4217 code such as "EUR".
	Currency string
}

// String formats m as "1250 EUR" (minor units): formatting for people is
// the client's job, which knows each currency's exponent.
func (m Money) String() string { return fmt.Sprintf("%d %s", m.Amount, m.Currency) }

// validAmount reports whether a is a price the engine can hold: positive and
// at most MaxAmount.
func validAmount(a int64) bool { return a > 0 && a <= MaxAmount }

// validCurrency reports whether c looks like an ISO 4217 code.
func validCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if c[i] < 'A' || c[i] > 'Z' {
			return false
		}
	}
	return true
}

// addAmount returns a+b, or ok=false when the sum leaves [0, MaxAmount]; it
// is the one place amounts are added, so overflow cannot slip in elsewhere.
func addAmount(a, b int64) (sum int64, ok bool) {
	if a < 0 || b < 0 || a > MaxAmount || b > MaxAmount {
		return 0, false
	}
	sum = a + b // cannot overflow: both are at most 10^15
	return sum, sum <= MaxAmount
}

// Add returns m+o. It fails when the currencies differ or the sum would
// exceed MaxAmount.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, fmt.Errorf("add %s to %s: currency mismatch", o, m)
	}
	s, ok := addAmount(m.Amount, o.Amount)
	if !ok {
		return Money{}, fmt.Errorf("add %s to %s: amount out of range", o, m)
	}
	return Money{Amount: s, Currency: m.Currency}, nil
}

// raiseBP returns how far to raises from, in basis points (1/100 of a
// percent), rounded down. A base of zero or less counts as no raise; a raise
// too large to express saturates at math.MaxInt64, which still selects the
// largest tier.
func raiseBP(from, to int64) int64 {
	if from <= 0 || to <= from {
		return 0
	}
	d := to - from
	if d > math.MaxInt64/10_000 {
		return math.MaxInt64
	}
	return d * 10_000 / from
}
