package api

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/bidcast/bidcast/storage"
)

// TestCheckLot holds lots made outside the API to the API's rules, naming
// the field at fault.
func TestCheckLot(t *testing.T) {
	incs := json.RawMessage(`[{"from":0,"step":50},{"from":1000,"step":100}]`)
	good := storage.Lot{Currency: "KRW", OpeningPrice: 10_000, DurationMS: 60_000, IncrementTable: incs,
		ClockPolicy: json.RawMessage(`{"kind":"soft-close","window_ms":10000}`)}
	for _, tc := range []struct {
		name  string
		edit  func(*storage.Lot)
		field string
	}{
		{"a good lot", func(*storage.Lot) {}, ""},
		{"a lower-case currency", func(l *storage.Lot) { l.Currency = "krw" }, "currency"},
		{"a negative opening price", func(l *storage.Lot) { l.OpeningPrice = -1 }, "opening_price"},
		{"a one-second lot", func(l *storage.Lot) { l.DurationMS = 1000 }, "duration_ms"},
		{"an empty increment table", func(l *storage.Lot) { l.IncrementTable = json.RawMessage(`[]`) }, "increment_table"},
		{"an unknown policy field", func(l *storage.Lot) {
			l.ClockPolicy = json.RawMessage(`{"kind":"sudden-death","extra":1}`)
		}, "clock_policy"},
		{"a dynamic clock without a floor", func(l *storage.Lot) {
			l.ClockPolicy = json.RawMessage(`{"kind":"dynamic","tiers":[{"raise_bp":500,"cut_ms":2000}]}`)
		}, "clock_policy.floor_ms"},
	} {
		l := good
		tc.edit(&l)
		err := CheckLot(l)
		var ae *Error
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.field != "" && (!errors.As(err, &ae) || ae.Field != tc.field):
			t.Errorf("%s: got %v, want an error on %s", tc.name, err, tc.field)
		}
	}
}
