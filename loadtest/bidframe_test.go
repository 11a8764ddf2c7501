package loadtest

import (
	"encoding/json"
	"testing"

	"github.com/bidcast/bidcast/signaling"
)

// marshalRequest is how wsConn.send encodes any request.
func marshalRequest(t testing.TB, typ, id string, data any) string {
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(signaling.Envelope{V: signaling.Version, Type: typ, ID: id, Data: raw})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAppendBidPlace(t *testing.T) {
	tests := []struct {
		name string
		id   string
		d    signaling.BidData
	}{
		{"the generator's bid", "lt-ab12cd34-17", signaling.BidData{LotID: "0c7d3f52-8a11-4b0e-bd2e-5e0e6f5c1d2a", Amount: 16000, Currency: "KRW", BidID: "lt-ab12cd34-17"}},
		{"empty fields", "", signaling.BidData{}},
		{"negative amount", "x", signaling.BidData{Amount: -1}},
		{"escapes and HTML", "a\"b\\c", signaling.BidData{LotID: "<lot>&", Currency: "\u00e9\n", BidID: "\u2028\x7f\xff"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(appendBidPlace([]byte("prefix"), tc.id, tc.d))
			if want := "prefix" + marshalRequest(t, signaling.TypeBidPlace, tc.id, tc.d); got != want {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func FuzzAppendBidPlace(f *testing.F) {
	f.Add("lt-1-2", "0c7d3f52-8a11-4b0e-bd2e-5e0e6f5c1d2a", int64(16000), "KRW", "lt-1-2")
	f.Add("\x00<", "\u2029", int64(-9), "\xff", `"\`)
	f.Fuzz(func(t *testing.T, id, lot string, amount int64, currency, bidID string) {
		d := signaling.BidData{LotID: lot, Amount: amount, Currency: currency, BidID: bidID}
		if got, want := string(appendBidPlace(nil, id, d)), marshalRequest(t, signaling.TypeBidPlace, id, d); got != want {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	})
}
