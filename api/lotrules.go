package api

import (
	"encoding/json"
	"fmt"
	"regexp"
)

// maxAmount bounds any amount in minor units (10^15), the same bound the bid
// pipeline enforces: far above any real price and far below int64 overflow
// in increment arithmetic.
const maxAmount int64 = 1_000_000_000_000_000

// Bounds of a lot's timing, in milliseconds.
const (
	minDurationMS = 5_000
	maxDurationMS = 24 * 60 * 60 * 1000
	minFloorMS    = 1_000
	maxWindowMS   = 10 * 60 * 1000
	maxBands      = 32
	maxTiers      = 16
)

// currencyRE is the shape of an ISO 4217 alphabetic code. The list of
// codes itself changes over time, so the shape is what is enforced.
var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)

// band is one row of an increment table: from this price (inclusive) up to
// the next band's, each bid must raise by at least step. All in minor units.
type band struct {
	From *int64 `json:"from"`
	Step *int64 `json:"step"`
}

// checkIncrements validates an increment table: at least one band, the
// first starting at zero so every price has a step, bands strictly
// ascending, every step positive.
func checkIncrements(field string, bands []band) error {
	if len(bands) == 0 {
		return invalid(field, "needs at least one band")
	}
	if len(bands) > maxBands {
		return invalid(field, "has more than %d bands", maxBands)
	}
	for i, b := range bands {
		at := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case b.From == nil:
			return invalid(at+".from", "is required")
		case b.Step == nil:
			return invalid(at+".step", "is required")
		case i == 0 && *b.From != 0:
			return invalid(at+".from", "the first band must start at 0")
		case *b.From < 0 || *b.From > maxAmount:
			return invalid(at+".from", "must be from 0 to %d", maxAmount)
		case i > 0 && *b.From <= *bands[i-1].From:
			return invalid(at+".from", "bands must be sorted by strictly increasing from")
		case *b.Step <= 0 || *b.Step > maxAmount:
			return invalid(at+".step", "must be a positive amount up to %d", maxAmount)
		}
	}
	return nil
}

// Clock policy kinds.
const (
	clockDynamic     = "dynamic"
	clockSoftClose   = "soft-close"
	clockSuddenDeath = "sudden-death"
)

// clockPolicy is the union of every policy's parameters; check makes sure
// only the kind's own parameters are present.
type clockPolicy struct {
	Kind     string `json:"kind"`
	Tiers    []tier `json:"tiers,omitempty"`
	FloorMS  *int64 `json:"floor_ms,omitempty"`
	WindowMS *int64 `json:"window_ms,omitempty"`
}

// tier of a dynamic clock: a bid raising the price by at least RaiseBP basis
// points (1/100 of a percent) removes CutMS from the clock.
type tier struct {
	RaiseBP *int64 `json:"raise_bp"`
	CutMS   *int64 `json:"cut_ms"`
}

// check validates the policy against the lot's duration.
func (c clockPolicy) check(field string, durationMS int64) error {
	switch c.Kind {
	case clockDynamic:
		if c.WindowMS != nil {
			return invalid(field+".window_ms", "is not a parameter of a dynamic clock")
		}
		return c.checkDynamic(field, durationMS)
	case clockSoftClose:
		switch {
		case c.Tiers != nil:
			return invalid(field+".tiers", "is not a parameter of a soft-close clock")
		case c.FloorMS != nil:
			return invalid(field+".floor_ms", "is not a parameter of a soft-close clock")
		case c.WindowMS == nil:
			return invalid(field+".window_ms", "is required")
		case *c.WindowMS < minFloorMS || *c.WindowMS > maxWindowMS || *c.WindowMS > durationMS:
			return invalid(field+".window_ms", "must be from %d to %d ms and not above duration_ms", minFloorMS, maxWindowMS)
		}
		return nil
	case clockSuddenDeath:
		switch {
		case c.Tiers != nil:
			return invalid(field+".tiers", "is not a parameter of a sudden-death clock")
		case c.FloorMS != nil:
			return invalid(field+".floor_ms", "is not a parameter of a sudden-death clock")
		case c.WindowMS != nil:
			return invalid(field+".window_ms", "is not a parameter of a sudden-death clock")
		}
		return nil
	case "":
		return invalid(field+".kind", "is required")
	}
	return invalid(field+".kind", "must be dynamic, soft-close or sudden-death")
}

// checkDynamic: tiers sorted by increasing raise with non-decreasing cuts
// (a bigger raise never costs rivals less time), and a floor that leaves
// rivals time to answer but fits in the lot.
func (c clockPolicy) checkDynamic(field string, durationMS int64) error {
	if len(c.Tiers) == 0 {
		return invalid(field+".tiers", "needs at least one tier")
	}
	if len(c.Tiers) > maxTiers {
		return invalid(field+".tiers", "has more than %d tiers", maxTiers)
	}
	for i, t := range c.Tiers {
		at := fmt.Sprintf("%s.tiers[%d]", field, i)
		switch {
		case t.RaiseBP == nil:
			return invalid(at+".raise_bp", "is required")
		case t.CutMS == nil:
			return invalid(at+".cut_ms", "is required")
		case *t.RaiseBP <= 0 || *t.RaiseBP > 1_000_000:
			return invalid(at+".raise_bp", "must be from 1 to 1000000 basis points")
		case *t.CutMS <= 0 || *t.CutMS > durationMS:
			return invalid(at+".cut_ms", "must be positive and not above duration_ms")
		case i > 0 && *t.RaiseBP <= *c.Tiers[i-1].RaiseBP:
			return invalid(at+".raise_bp", "tiers must be sorted by strictly increasing raise_bp")
		case i > 0 && *t.CutMS < *c.Tiers[i-1].CutMS:
			return invalid(at+".cut_ms", "a larger raise must not cut less time")
		}
	}
	switch {
	case c.FloorMS == nil:
		return invalid(field+".floor_ms", "is required")
	case *c.FloorMS < minFloorMS || *c.FloorMS > durationMS:
		return invalid(field+".floor_ms", "must be at least %d ms and not above duration_ms", minFloorMS)
	}
	return nil
}

// rawJSON re-encodes a validated value for storage, so what is stored is
// exactly the checked shape (no unknown fields, canonical numbers).
func rawJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		// Only plain structs of ints and strings reach here.
		panic(fmt.Sprintf("api: encode validated value: %v", err))
	}
	return b
}
