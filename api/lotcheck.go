package api

import (
	"bytes"
	"encoding/json"

	"github.com/bidcast/bidcast/storage"
)

// CheckLot applies the API's lot rules (currency, prices, duration, the
// increment table and the clock policy) to a lot made elsewhere, such as by
// `auctiond room create`, so every way of adding a lot obeys one rule set.
// It returns an *Error whose Field names the setting at fault.
func CheckLot(l storage.Lot) error {
	in := lotInput{ItemID: "00000000-0000-0000-0000-000000000000", Currency: l.Currency,
		OpeningPrice: &l.OpeningPrice, ReservePrice: &l.ReservePrice, DurationMS: &l.DurationMS}
	if err := strictJSON(l.IncrementTable, &in.IncrementTable); err != nil {
		return invalid("increment_table", "must be a list of {from, step} bands")
	}
	if err := strictJSON(l.ClockPolicy, &in.ClockPolicy); err != nil {
		return invalid("clock_policy", "must be a clock policy object")
	}
	return in.validate()
}

// strictJSON decodes raw into v as the API decodes bodies: unknown fields
// are an error.
func strictJSON(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
