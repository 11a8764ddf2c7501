package loadtest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/bidcast/bidcast/signaling"
)

// Messages as the server writes them (docs/protocol.md: the envelope, acks
// and errors, the room events' shape, room.events lists, the snapshot).
const (
	frameBidAck     = `{"v":1,"type":"ack","id":"b-17","data":{"bid_id":"lt-ab12cd34-17","seq":4211,"status":"pending"}}`
	frameDupAck     = `{"v":1,"type":"ack","id":"b-18","data":{"bid_id":"lt-ab12cd34-18","seq":4190,"status":"accepted","duplicate":true}}`
	frameError      = `{"v":1,"type":"error","id":"b-19","data":{"code":"rate_limited","message":"too many bids; slow down","ref_id":"b-19"}}`
	frameAcceptedPb = `{"v":1,"type":"bid.accepted","seq":912,"data":{"type":"bid.accepted","room_id":"5b0f6a0e-3d52-4c4e-9a43-1c1b1f0e2a10","lot_id":"0c7d3f52-8a11-4b0e-bd2e-5e0e6f5c1d2a","at":"2026-12-04T21:07:03.125Z","status":"live","bid":{"lot_id":"0c7d3f52-8a11-4b0e-bd2e-5e0e6f5c1d2a","bidder":"Bidder K7QD2","kind":"bid","amount":{"amount":15000,"currency":"KRW"},"received_at":"2026-12-04T21:07:03.120Z","seq":4211},"high_bid":{"amount":15000,"currency":"KRW"},"leader":"Bidder K7QD2","next_min":{"amount":16000,"currency":"KRW"},"deadline":"2026-12-04T21:17:03.125Z"}}`
	frameAcceptedMe = `{"v":1,"type":"bid.accepted","seq":913,"data":{"type":"bid.accepted","room_id":"5b0f6a0e-3d52-4c4e-9a43-1c1b1f0e2a10","lot_id":"0c7d3f52-8a11-4b0e-bd2e-5e0e6f5c1d2a","at":"2026-12-04T21:07:03.125Z","status":"live","bid":{"bid_id":"lt-ab12cd34-17","lot_id":"0c7d3f52-8a11-4b0e-bd2e-5e0e6f5c1d2a","bidder":"Bidder K7QD2","kind":"bid","amount":{"amount":15000,"currency":"KRW"},"received_at":"2026-12-04T21:07:03.120Z","seq":4211},"high_bid":{"amount":15000,"currency":"KRW"},"leader":"Bidder K7QD2","next_min":{"amount":16000,"currency":"KRW"},"deadline":"2026-12-04T21:17:03.125Z"}}`
	frameRejected   = `{"v":1,"type":"bid.rejected","seq":914,"data":{"type":"bid.rejected","room_id":"5b0f6a0e-3d52-4c4e-9a43-1c1b1f0e2a10","lot_id":"0c7d3f52-8a11-4b0e-bd2e-5e0e6f5c1d2a","at":"2026-12-04T21:07:03.130Z","status":"live","bid":{"bid_id":"lt-ab12cd34-18","lot_id":"0c7d3f52-8a11-4b0e-bd2e-5e0e6f5c1d2a","bidder":"Bidder M2PX9","kind":"bid","amount":{"amount":15999,"currency":"KRW"},"received_at":"2026-12-04T21:07:03.122Z","seq":4212},"reason":"too_low","high_bid":{"amount":15000,"currency":"KRW"},"leader":"Bidder K7QD2","next_min":{"amount":16000,"currency":"KRW"}}}`
	frameChat       = `{"v":1,"type":"chat.message","seq":915,"data":{"message_id":"m-81","display_name":"Ann \"the\" bidder","text":"going ]} once, {going [twice\\ \u00e9\u2603","at":1796418423125}}`
	frameLotClosed  = `{"v":1,"type":"lot.closed","seq":990,"data":{"type":"lot.closed","room_id":"5b0f6a0e-3d52-4c4e-9a43-1c1b1f0e2a10","lot_id":"0c7d3f52-8a11-4b0e-bd2e-5e0e6f5c1d2a","at":"2026-12-04T21:17:03.200Z","status":"sold","result":{"status":"sold","winner":"Bidder K7QD2","price":{"amount":15000,"currency":"KRW"},"closed_at":"2026-12-04T21:17:03.200Z"}}}`
	frameViewers    = `{"v":1,"type":"viewers","data":{"count":220}}`
	frameTimeSync   = `{"v":1,"type":"time.sync","id":"r3","data":{"client_time":1796418423000,"server_time":1796418423011}}`
	frameSnapshot   = `{"v":1,"type":"room.snapshot","id":"r1","seq":911,"data":{"room":{"id":"5b0f6a0e-3d52-4c4e-9a43-1c1b1f0e2a10","title":"Bench 1","seller_id":"u-1","status":"live"},"state":{"room_id":"5b0f6a0e-3d52-4c4e-9a43-1c1b1f0e2a10","event_seq":911,"lot":{"id":"0c7d3f52-8a11-4b0e-bd2e-5e0e6f5c1d2a","status":"live","policy":"soft-close","opening":{"amount":1000,"currency":"KRW"},"bid_count":0,"has_reserve":false,"reserve_met":false,"version":3},"history":[]},"chat":[{"message_id":"m-80","text":"[{\"}]"}],"viewers":219,"server_time":1796418423100,"seq":911,"you":{"alias":"Bidder Q1","can_bid":true}}}`
)

// list is a room.events message of the given events, as the gateway
// builds it (signaling/fanout.go).
func list(last string, evs ...string) string {
	s := `{"v":1,"type":"room.events","seq":` + last + `,"data":{"events":[`
	for i, e := range evs {
		if i > 0 {
			s += ","
		}
		s += e
	}
	return s + `]}}`
}

// referenceDecode is what the client did before scanMessage.
func referenceDecode(b []byte) ([]signaling.Envelope, bool) {
	var frame signaling.Envelope
	if json.Unmarshal(b, &frame) != nil {
		return nil, false
	}
	msgs, err := signaling.Unpack(frame)
	return msgs, err == nil
}

// sameEnvelopes compares field by field (an empty list is empty, nil or
// not).
func sameEnvelopes(a, b []signaling.Envelope) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

func TestScanMessage(t *testing.T) {
	tests := []struct {
		name  string
		frame string
		n     int  // envelopes
		ok    bool // within the scanner's subset
	}{
		{"bid ack", frameBidAck, 1, true},
		{"duplicate ack", frameDupAck, 1, true},
		{"error", frameError, 1, true},
		{"public bid.accepted", frameAcceptedPb, 1, true},
		{"own bid.accepted", frameAcceptedMe, 1, true},
		{"bid.rejected", frameRejected, 1, true},
		{"chat with escapes and brackets in strings", frameChat, 1, true},
		{"lot.closed", frameLotClosed, 1, true},
		{"viewers", frameViewers, 1, true},
		{"time.sync", frameTimeSync, 1, true},
		{"snapshot", frameSnapshot, 1, true},
		{"room.events", list("915", frameAcceptedPb, frameAcceptedMe, frameRejected, frameChat), 4, true},
		{"room.events of one", list("912", frameAcceptedPb), 1, true},
		{"room.events empty", list("0"), 0, true},
		{"white space everywhere", " {\n\"v\" : 1 ,\t\"type\" : \"room.events\" , \"seq\" : 913 , \"data\" : { \"events\" : [ " +
			frameAcceptedPb + " ,\r\n" + frameAcceptedMe + " ] , \"more\" : null } }\n", 2, true},
		{"list data before its type", `{"data":{"events":[` + frameAcceptedPb + `,` + frameRejected + `]},"seq":914,"type":"room.events","v":1}`, 2, true},
		{"list then another data", `{"v":1,"type":"room.events","data":{"events":[` + frameAcceptedPb + `]},"data":{"events":[]}}`, 0, true},
		{"list data, then the type changes", `{"v":1,"type":"room.events","data":{"events":[` + frameAcceptedPb + `]},"type":"ack"}`, 1, true},
		{"data, then the type becomes a list", `{"v":1,"type":"ack","data":{"events":[` + frameAcceptedPb + `]},"type":"room.events"}`, 1, true},
		{"two event lists", `{"v":1,"type":"room.events","data":{"events":[` + frameAcceptedPb + `],"events":[]}}`, 0, false},
		{"keys in another order", `{"data":{"count":3},"seq":7,"type":"viewers","v":1,"extra":[1,{"a":"}"}]}`, 1, true},
		{"data null", `{"v":1,"type":"ack","id":"x","data":null}`, 1, true},
		{"no data", `{"v":1,"type":"ack","id":"x"}`, 1, true},
		{"negative and zero ints", `{"v":-0,"type":"ack","seq":-12}`, 1, true},
		{"unknown type: Unpack decides", `{"v":1,"type":"ünknown","data":{"events":[]}}`, 1, false},
		{"media.offer", `{"v":1,"type":"media.offer","data":{"session_id":"s1","sdp":"v=0\r\n"}}`, 1, true},
		// Outside the subset: encoding/json decides.
		{"escaped type", `{"v":1,"type":"bid\u002eaccepted","seq":1,"data":{}}`, 1, false},
		{"key in another case", `{"v":1,"Type":"ack","id":"x"}`, 1, false},
		{"key folding to ours", `{"v":1,"type":"ack","ſeq":5}`, 1, false},
		{"fractional seq", `{"v":1,"type":"ack","seq":1.5}`, 0, false},
		{"huge seq", `{"v":1,"type":"ack","seq":99999999999999999999}`, 0, false},
		{"null type", `{"v":1,"type":null}`, 1, false},
		{"events null", `{"v":1,"type":"room.events","data":{"events":null}}`, 0, false},
		{"list data null", `{"v":1,"type":"room.events","data":null}`, 0, false},
		{"null event", `{"v":1,"type":"room.events","data":{"events":[null]}}`, 1, false},
		{"Events key", `{"v":1,"type":"room.events","data":{"Events":[]}}`, 0, false},
		{"trailing garbage", frameViewers + `x`, 0, false},
		{"not an object", `[1,2]`, 0, false},
		{"truncated", frameAcceptedPb[:100], 0, false},
		{"empty", ``, 0, false},
		{"invalid utf-8 id", "{\"v\":1,\"type\":\"ack\",\"id\":\"\xff\"}", 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := scanMessage(nil, []byte(tc.frame))
			want, wantOK := referenceDecode([]byte(tc.frame))
			if ok != tc.ok {
				t.Fatalf("scan ok = %v, want %v (%d envelopes: %+v)", ok, tc.ok, len(got), got)
			}
			if !ok {
				if len(got) != 0 {
					t.Fatalf("a refused message left %d envelopes", len(got))
				}
				if wantOK && len(want) != tc.n {
					t.Fatalf("encoding/json found %d envelopes, the table says %d", len(want), tc.n)
				}
				return
			}
			if !wantOK {
				t.Fatalf("scanned a message encoding/json refuses: %+v", got)
			}
			if len(got) != tc.n || !sameEnvelopes(got, want) {
				t.Fatalf("scan:\n%+v\nencoding/json:\n%+v", got, want)
			}
		})
	}
}

// TestScanMessageAppends: the envelopes go after dst's, and a refused
// message leaves dst as it was.
func TestScanMessageAppends(t *testing.T) {
	dst := []signaling.Envelope{{Type: "first"}}
	dst, ok := scanMessage(dst, []byte(list("2", frameAcceptedPb, frameRejected)))
	if !ok || len(dst) != 3 || dst[0].Type != "first" || dst[2].Type != "bid.rejected" || dst[2].Seq != 914 {
		t.Fatalf("got %v %+v", ok, dst)
	}
	dst, ok = scanMessage(dst, []byte(list("2", frameAcceptedPb, "null")))
	if ok || len(dst) != 3 {
		t.Fatalf("refused list: %v, %d envelopes", ok, len(dst))
	}
}

func TestOwnCopy(t *testing.T) {
	for _, tc := range []struct {
		frame string
		own   bool
	}{{frameAcceptedPb, false}, {frameAcceptedMe, true}, {frameRejected, true}, {frameLotClosed, false}} {
		env, ok := scanMessage(nil, []byte(tc.frame))
		if !ok || ownCopy(env[0].Data) != tc.own {
			t.Errorf("ownCopy(%s) = %v, want %v", env[0].Type, !tc.own, tc.own)
		}
	}
}

// FuzzScanMessage: on any message encoding/json accepts, the scanner either
// gives up or finds exactly what encoding/json and signaling.Unpack find.
func FuzzScanMessage(f *testing.F) {
	for _, s := range []string{frameBidAck, frameDupAck, frameError, frameAcceptedPb, frameAcceptedMe, frameRejected, frameChat,
		frameLotClosed, frameViewers, frameTimeSync, frameSnapshot, list("915", frameAcceptedPb, frameChat), list("1"),
		`{"v":1,"type":"ack","ſeq":5}`, `{"v":1,"type":"room.events","data":{"events":[null]}}`,
		`{"data":{"events":[{"type":"x","data":1}]},"type":"room.events"}`, `{"type":"room.events","data":{"events":[]},"type":"ack"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		got, ok := scanMessage(nil, msg)
		if !ok {
			if len(got) != 0 {
				t.Fatalf("a refused message left %d envelopes", len(got))
			}
			return
		}
		want, wantOK := referenceDecode(msg)
		if !wantOK {
			return // invalid JSON inside skipped data is not checked
		}
		if !sameEnvelopes(got, want) {
			t.Fatalf("%q:\nscan          %+v\nencoding/json %+v", msg, got, want)
		}
		for _, e := range got {
			if len(e.Data) > 0 && !bytes.Contains(msg, e.Data) {
				t.Fatalf("data %q is not part of the message", e.Data)
			}
		}
	})
}

// TestPublicBidSeq: the watcher's shortcut reads what decoding the event
// reads, or gives up.
func TestPublicBidSeq(t *testing.T) {
	data := func(frame string) string {
		env, ok := scanMessage(nil, []byte(frame))
		if !ok {
			t.Fatalf("scan %s", frame)
		}
		return string(env[0].Data)
	}
	tests := []struct {
		name string
		data string
		seq  int64
		ok   bool
	}{
		{"public bid.accepted", data(frameAcceptedPb), 4211, true},
		{"lot.closed has no bid", data(frameLotClosed), 0, true},
		{"bid null", `{"bid":null,"lot_id":"x"}`, 0, true},
		{"bid without seq", `{"bid":{"bidder":"Bidder Q"}}`, 0, true},
		{"seq of auto_bids is not the bid's", `{"auto_bids":[{"seq":9}],"bid":{"seq":7}}`, 7, true},
		{"two bids", `{"bid":{"seq":7},"bid":{"bidder":"x"}}`, 0, false},
		{"Bid key", `{"Bid":{"seq":7}}`, 0, false},
		{"SEQ key", `{"bid":{"SEQ":7}}`, 0, false},
		{"fractional seq", `{"bid":{"seq":7.5}}`, 0, false},
		{"not an object", `[]`, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seq, ok := publicBidSeq([]byte(tc.data))
			if seq != tc.seq || ok != tc.ok {
				t.Fatalf("publicBidSeq = %d, %v; want %d, %v", seq, ok, tc.seq, tc.ok)
			}
			if ok {
				if want, wantOK := referenceBidSeq([]byte(tc.data)); !wantOK || want != seq {
					t.Fatalf("encoding/json reads %d, %v", want, wantOK)
				}
			}
		})
	}
}

// referenceBidSeq is the bid's seq as decoding the whole event reads it.
func referenceBidSeq(data []byte) (int64, bool) {
	var ev wireEvent
	if json.Unmarshal(data, &ev) != nil {
		return 0, false
	}
	if ev.Bid == nil {
		return 0, true
	}
	return ev.Bid.Seq, true
}

// FuzzPublicBidSeq: on data encoding/json decodes, the shortcut gives up or
// reads the same seq.
func FuzzPublicBidSeq(f *testing.F) {
	for _, s := range []string{`{"bid":{"seq":7},"next_min":{"amount":5}}`, `{"bid":null}`, `{"Bid":{"seq":1}}`,
		`{"bid":{"seq":7},"bid":{"bidder":"x"}}`, `{"bid":{"bidder":"a\"}","seq":-3}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		seq, ok := publicBidSeq(data)
		if !ok {
			return
		}
		if want, wantOK := referenceBidSeq(data); wantOK && want != seq {
			t.Fatalf("%q: shortcut %d, encoding/json %d", data, seq, want)
		}
	})
}

// BenchmarkReadRoomEvent is a bidder's and a watcher's cost of one public
// bid.accepted (alone, and in a room.events list of 8): what every
// connection paid before scanMessage (three encoding/json passes and a
// full decode), and now (one scan; a decode only for the first reader of
// the room).
func BenchmarkReadRoomEvent(b *testing.B) {
	one := []byte(frameAcceptedPb)
	eight := []byte(list("919", frameAcceptedPb, frameAcceptedPb, frameAcceptedPb, frameAcceptedPb,
		frameAcceptedPb, frameAcceptedPb, frameAcceptedPb, frameAcceptedPb))
	var msgs []signaling.Envelope
	decodeAll := func(b *testing.B, envs []signaling.Envelope) {
		for _, env := range envs {
			var ev wireEvent
			if json.Unmarshal(env.Data, &ev) != nil || ev.Bid == nil {
				b.Fatal("decode")
			}
		}
	}
	for _, frame := range []struct {
		name string
		msg  []byte
	}{{"alone", one}, {"list of 8", eight}} {
		b.Run(frame.name+"/before: encoding/json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var frameEnv signaling.Envelope
				if json.Unmarshal(frame.msg, &frameEnv) != nil {
					b.Fatal("unmarshal")
				}
				envs, err := signaling.Unpack(frameEnv)
				if err != nil {
					b.Fatal(err)
				}
				decodeAll(b, envs)
			}
		})
		b.Run(frame.name+"/bidder, room has read it", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var ok bool
				if msgs, ok = scanMessage(msgs[:0], frame.msg); !ok {
					b.Fatal("scan")
				}
				for _, env := range msgs {
					if ownCopy(env.Data) {
						b.Fatal("own")
					}
				}
			}
		})
		b.Run(frame.name+"/watcher, room has read it", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var ok bool
				if msgs, ok = scanMessage(msgs[:0], frame.msg); !ok {
					b.Fatal("scan")
				}
				for _, env := range msgs {
					if seq, ok := publicBidSeq(env.Data); ownCopy(env.Data) || !ok || seq != 4211 {
						b.Fatal("seq")
					}
				}
			}
		})
		b.Run(frame.name+"/first reader decodes", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var ok bool
				if msgs, ok = scanMessage(msgs[:0], frame.msg); !ok {
					b.Fatal("scan")
				}
				decodeAll(b, msgs)
			}
		})
	}
}
