package signaling

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestEncodeRawMatchesEncodingJSON holds the hand-written envelope to what
// json.Marshal makes of the same Envelope.
func TestEncodeRawMatchesEncodingJSON(t *testing.T) {
	cases := []struct {
		name, typ, id string
		seq           int64
		data          json.RawMessage
	}{
		{"room event", "bid.accepted", "", 4711, json.RawMessage(`{"amount":32611000,"currency":"KRW"}`)},
		{"reply", TypeAck, "c-17", 0, json.RawMessage(`{"ok":true}`)},
		{"no data", "pong", "p1", 0, nil},
		{"negative seq", "room.snapshot", "", -1, json.RawMessage(`null`)},
		{"id needing escapes", TypeError, "a\"b<c>&\\d\u00e9\x01", 0, json.RawMessage(`[1,2]`)},
		{"long id", TypeAck, strings.Repeat("x", 300), 9, json.RawMessage(`"s"`)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want, err := json.Marshal(Envelope{V: Version, Type: c.typ, ID: c.id, Seq: c.seq, Data: c.data})
			if err != nil {
				t.Fatal(err)
			}
			if got := encodeRaw(c.typ, c.id, c.seq, c.data); string(got) != string(want) {
				t.Fatalf("encodeRaw = %s\nwant       %s", got, want)
			}
		})
	}
}

func FuzzEncodeRaw(f *testing.F) {
	f.Add("bid.accepted", "", int64(3), `{"a":1}`)
	f.Add("ack", "id\"<", int64(0), `[]`)
	f.Fuzz(func(t *testing.T, typ, id string, seq int64, data string) {
		// Callers pass json.Marshal's output: valid, compact, with <, >, &,
		// U+2028 and U+2029 escaped (json.Marshal would escape them in
		// data it is given; encodeRaw sends data as it is).
		norm, err := json.Marshal(json.RawMessage(data))
		if err != nil || string(norm) != data {
			return
		}
		want, err := json.Marshal(Envelope{V: Version, Type: typ, ID: id, Seq: seq, Data: json.RawMessage(data)})
		if err != nil {
			t.Fatal(err)
		}
		if got := encodeRaw(typ, id, seq, json.RawMessage(data)); string(got) != string(want) {
			t.Fatalf("encodeRaw = %s\nwant       %s", got, want)
		}
	})
}

func BenchmarkEncodeRaw(b *testing.B) {
	data := json.RawMessage(`{"lot_id":"ecfce5a3-daf3-4c10-b333-b150f81da95c","bidder":"Bidder 7f3a","amount":32611000,` +
		`"currency":"KRW","high_bid":32611000,"next_min":32711000,"bids":17,"ends_at":"2026-12-05T11:57:52.687804178Z"}`)
	b.Run("hand-written", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = encodeRaw("bid.accepted", "", 4711, data)
		}
	})
	b.Run("encoding-json", func(b *testing.B) { // what encodeRaw replaced
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(Envelope{V: Version, Type: "bid.accepted", Seq: 4711, Data: data}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
