package events

import (
	"encoding/json"
	"testing"
	"time"
)

// body is an event as json.Marshal wrote it for the log, before
// encodeEvent (Event less Seq, which the script adds).
type body struct {
	Type   string          `json:"type"`
	RoomID string          `json:"room_id"`
	At     time.Time       `json:"at"`
	To     string          `json:"to,omitempty"`
	Except string          `json:"except,omitempty"`
	Data   json.RawMessage `json:"data"`
}

// TestEncodeEventMatchesEncodingJSON holds the hand-written encoder to what
// json.Marshal makes of the same event (less Seq, which the script adds).
func TestEncodeEventMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 12, 5, 11, 56, 52, 687804178, time.UTC)
	cases := []struct {
		name string
		ev   Event
	}{
		{"plain", Event{Type: "bid.accepted", RoomID: "e03e4ba3-f466-4c71-882b-e21bc9791644", At: at,
			Data: json.RawMessage(`{"amount":32611000,"currency":"KRW"}`)}},
		{"to and except", Event{Type: "bid.rejected", RoomID: "r", At: at, To: "u1", Except: "u2", Data: json.RawMessage(`[]`)}},
		{"no data", Event{Type: "room.state", RoomID: "r", At: at}},
		{"escaped strings", Event{Type: "x<y>&\"z\"", RoomID: "r\n", At: at, To: "é", Data: json.RawMessage(`"s"`)}},
		{"zone and zero time", Event{Type: "t", RoomID: "r", At: time.Time{}.In(time.FixedZone("X", 3600)), Data: json.RawMessage(`1`)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := c.ev.Data
			if data == nil {
				data = json.RawMessage("{}")
			}
			want, err := json.Marshal(body{c.ev.Type, c.ev.RoomID, c.ev.At, c.ev.To, c.ev.Except, data})
			if err != nil {
				t.Fatal(err)
			}
			got, err := encodeEvent(c.ev)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("encodeEvent = %s\nwant          %s", got, want)
			}
			back, err := Decode(string(got))
			if err != nil || back.Type != c.ev.Type || back.To != c.ev.To || !back.At.Equal(c.ev.At) {
				t.Fatalf("decoded %+v, %v", back, err)
			}
		})
	}
	if _, err := encodeEvent(Event{Type: "t", At: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}); err == nil {
		t.Fatal("a time JSON cannot hold was encoded")
	}
}

func BenchmarkEncodeEvent(b *testing.B) {
	ev := Event{Type: "bid.accepted", RoomID: "e03e4ba3-f466-4c71-882b-e21bc9791644", At: time.Now(),
		Except: "22b82c2e-b5b0-4771-a2ac-037895dc295a",
		Data: json.RawMessage(`{"lot_id":"ecfce5a3-daf3-4c10-b333-b150f81da95c","bidder":"Bidder 7f3a","amount":32611000,` +
			`"currency":"KRW","high_bid":32611000,"next_min":32711000,"bids":17,"ends_at":"2026-12-05T11:57:52.687804178Z",` +
			`"extended":true,"clock_ms":20000}`)}
	b.Run("hand-written", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := encodeEvent(ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) { // what encodeEvent replaced
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(body{ev.Type, ev.RoomID, ev.At, ev.To, ev.Except, ev.Data}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
