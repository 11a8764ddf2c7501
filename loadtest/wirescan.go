package loadtest

import (
	"bytes"
	"strings"

	"github.com/bidcast/bidcast/signaling"
)

// The generator's clients read every message of their room, most of which
// they do not need to decode: a bidder learns nothing from the thousandth
// public bid.accepted that another connection of the room has already read.
// json.Unmarshal of an Envelope, then of a room.events list, then of each
// event's data checks every byte three times. scanMessage instead walks a
// message once, finds the envelope fields and each listed event without
// decoding data, and leaves data as a slice of the message for the few
// events the client decodes.
//
// On a message encoding/json accepts, it either answers exactly as
// json.Unmarshal followed by signaling.Unpack would (the fuzz test
// FuzzScanMessage holds it to that) or gives up: an escape in a type, id or
// key, a key that differs from ours only in case, a null or a number that
// is not a plain integer where the envelope wants something else. The
// caller then falls back to encoding/json. It does not validate the JSON
// it skips over: data the client decodes still goes through encoding/json,
// and data it skips does not matter to it.

// scanMessage splits one WebSocket message into the envelopes it carries
// (one, or each event of a room.events list), appended to dst. ok is false
// when the message is outside the subset; dst is then returned unchanged in
// length. The envelopes' Data alias msg.
func scanMessage(dst []signaling.Envelope, msg []byte) (out []signaling.Envelope, ok bool) {
	n := len(dst)
	// The server writes type before data, so a list's events are found
	// while its data is walked (walked: where the last data was listed).
	walked := -1
	env, i, ok := scanEnvelopeWith(msg, skipSpace(msg, 0), func(typ string, v int) (int, bool) {
		dst, walked = dst[:n], -1
		if typ != signaling.TypeRoomEvents {
			return skipValue(msg, v)
		}
		var end int
		var ok bool
		dst, end, ok = scanEventListAt(dst, msg, v)
		walked = v
		return end, ok
	})
	_, known := serverTypes[env.Type]
	switch {
	case !ok || skipSpace(msg, i) != len(msg) || !known:
		return dst[:n], false
	case env.Type != signaling.TypeRoomEvents:
		return append(dst[:n], env), true
	case walked < 0: // data came before the type
		if dst, ok = scanEventList(dst[:n], env.Data); !ok {
			return dst[:n], false
		}
	}
	return dst, true
}

// scanEventList appends the events of a room.events message's data,
// {"events": [envelope, ...]}, that is all of data.
func scanEventList(dst []signaling.Envelope, data []byte) ([]signaling.Envelope, bool) {
	i := skipSpace(data, 0)
	dst, end, ok := scanEventListAt(dst, data, i)
	return dst, ok && skipSpace(data, end) == len(data)
}

// scanEventListAt appends the events of the room.events data object that
// starts at b[i] and returns the index just past it.
func scanEventListAt(dst []signaling.Envelope, b []byte, i int) ([]signaling.Envelope, int, bool) {
	found := false
	end, ok := scanObjectAt(b, i, func(key []byte, v int) (int, bool) {
		switch {
		case string(key) == "events":
			if found {
				return 0, false // two lists: encoding/json would keep the last
			}
			found = true
			var end int
			var ok bool
			dst, end, ok = scanEventArray(dst, b, v)
			return end, ok
		case strings.EqualFold(string(key), "events"):
			return 0, false
		}
		return skipValue(b, v)
	})
	return dst, end, ok && found
}

// scanEventArray appends the envelopes of the array that starts at b[i]
// and returns the index just past it.
func scanEventArray(dst []signaling.Envelope, b []byte, i int) ([]signaling.Envelope, int, bool) {
	if i >= len(b) || b[i] != '[' {
		return dst, 0, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return dst, i + 1, true
	}
	for i < len(b) {
		env, end, ok := scanEnvelope(b, i)
		if !ok {
			return dst, 0, false
		}
		dst = append(dst, env)
		i = skipSpace(b, end)
		switch {
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		case i < len(b) && b[i] == ']':
			return dst, i + 1, true
		default:
			return dst, 0, false
		}
	}
	return dst, 0, false
}

// scanEnvelope reads the envelope object that starts at b[i] and returns
// it with the index just past it.
func scanEnvelope(b []byte, i int) (signaling.Envelope, int, bool) {
	return scanEnvelopeWith(b, i, func(_ string, v int) (int, bool) { return skipValue(b, v) })
}

// scanEnvelopeWith is scanEnvelope with data's value read by data, which
// knows the type read so far.
func scanEnvelopeWith(b []byte, i int, data func(typ string, v int) (int, bool)) (env signaling.Envelope, end int, ok bool) {
	end, ok = scanObjectAt(b, i, func(key []byte, v int) (int, bool) {
		var vend int
		var ok bool
		if string(key) == "data" {
			vend, ok = data(env.Type, v)
		} else {
			vend, ok = skipValue(b, v)
		}
		if !ok {
			return 0, false
		}
		val := b[v:vend]
		switch string(key) {
		case "v":
			n, ok := parseInt(val)
			env.V = int(n)
			return vend, ok
		case "type":
			s, ok := plainString(val)
			env.Type = internType(s)
			return vend, ok
		case "id":
			s, ok := plainString(val)
			env.ID = string(s)
			return vend, ok
		case "seq":
			var ok bool
			env.Seq, ok = parseInt(val)
			return vend, ok
		case "data":
			env.Data = val
			return vend, true
		}
		// encoding/json matches keys case-insensitively.
		for _, k := range [...]string{"v", "type", "id", "seq", "data"} {
			if strings.EqualFold(string(key), k) {
				return 0, false
			}
		}
		return vend, true
	})
	return env, end, ok
}

// fieldFunc reads the value of an object's member key that starts at b[v]
// and returns the index just past it.
type fieldFunc func(key []byte, v int) (end int, ok bool)

// scanObject calls field for each member of the object that is all of b
// (but for white space).
func scanObject(b []byte, i int, field fieldFunc) bool {
	end, ok := scanObjectAt(b, skipSpace(b, i), field)
	return ok && skipSpace(b, end) == len(b)
}

// scanObjectAt scans the object starting at b[i] and returns the index
// just past it; keys with escapes are outside the subset.
func scanObjectAt(b []byte, i int, field fieldFunc) (int, bool) {
	if i >= len(b) || b[i] != '{' {
		return 0, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for i < len(b) {
		kend, ok := skipString(b, i)
		if !ok {
			return 0, false
		}
		key, ok := plainString(b[i:kend])
		if !ok {
			return 0, false
		}
		i = skipSpace(b, kend)
		if i >= len(b) || b[i] != ':' {
			return 0, false
		}
		vend, ok := field(key, skipSpace(b, i+1))
		if !ok {
			return 0, false
		}
		i = skipSpace(b, vend)
		switch {
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		case i < len(b) && b[i] == '}':
			return i + 1, true
		default:
			return 0, false
		}
	}
	return 0, false
}

// serverTypes are the message types a server sends (docs/protocol.md),
// each its own key. A message of another type goes through encoding/json
// and signaling.Unpack, so a kind of message added later is unpacked as
// Unpack does, not taken for a single event.
var serverTypes = func() map[string]string {
	m := map[string]string{}
	for _, t := range []string{signaling.TypeAck, signaling.TypeError, signaling.TypeSnapshot, signaling.TypeRoomEvents,
		signaling.TypeChatMessage, signaling.TypeChatDeleted, signaling.TypeViewers, signaling.TypeTimeSync,
		signaling.TypeMediaAnswer, signaling.TypeMediaOffer, signaling.TypeMediaCandidate,
		"bid.accepted", "bid.rejected", "bid.outbid", "clock", "lot.started", "lot.closing", "lot.closed",
		"moderation", "room.state"} {
		m[t] = t
	}
	return m
}()

// internType returns the message type as a string, without allocating for
// the types a server sends.
func internType(b []byte) string {
	if t, ok := serverTypes[string(b)]; ok {
		return t
	}
	return string(b)
}

// ownCopy reports whether a bid event's data may be its bidder's own copy:
// only those carry a bid_id (docs/protocol.md: everyone else's copy has
// none), so data without the key is certainly a public copy.
func ownCopy(data []byte) bool { return bytes.Contains(data, bidIDKey) }

var bidIDKey = []byte(`"bid_id"`)

// publicBidSeq reads bid.seq from the data of a public bid.accepted (one
// that has no bid_id, see ownCopy), which is all a watcher needs of it
// once another connection has read its price: 0 when it has no bid or no
// seq. ok is false outside the scanner's subset (encoding/json decides).
func publicBidSeq(data []byte) (seq int64, ok bool) {
	var bid []byte
	ok = scanObject(data, 0, func(key []byte, v int) (int, bool) {
		end, ok := skipValue(data, v)
		switch {
		case !ok:
		case string(key) == "bid":
			if bid != nil {
				return 0, false // encoding/json would merge the two
			}
			bid = data[v:end]
		case strings.EqualFold(string(key), "bid"), strings.EqualFold(string(key), "bid_id"):
			return 0, false
		}
		return end, ok
	})
	if !ok || bid == nil || string(bid) == "null" {
		return 0, ok
	}
	ok = scanObject(bid, 0, func(key []byte, v int) (int, bool) {
		end, ok := skipValue(bid, v)
		switch {
		case !ok:
		case string(key) == "seq":
			seq, ok = parseInt(bid[v:end])
		case strings.EqualFold(string(key), "seq"), strings.EqualFold(string(key), "bid_id"):
			return 0, false
		}
		return end, ok
	})
	return seq, ok
}
