package signaling

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/bidcast/bidcast/internal/jsonenc"
)

// knownTypes are the client → server types this gateway handles.
var knownTypes = map[string]bool{
	TypeJoin: true, TypeLeave: true, TypeChatSend: true, TypeBidPlace: true, TypeBidMax: true,
	TypeLotStart: true, TypeLotPause: true, TypeLotResume: true, TypeLotEnd: true, TypeLotSkip: true,
	TypeLotRelist: true, TypeModMute: true, TypeModBan: true, TypeModSlow: true, TypeChatDelete: true,
	TypeTimeSync: true, TypeMediaPublish: true, TypeMediaSubscribe: true, TypeMediaAnswer: true,
	TypeMediaCandidate: true, TypeMediaClose: true, TypeMediaICE: true,
}

// maxIDLen bounds a correlation ID; it is echoed back, so it must stay small.
const maxIDLen = 64

// Decode parses one client message. It checks the envelope only: a JSON
// object, v = 1, a known type, a short printable id, and data (if present)
// an object. The error is always an *Error whose code says what was wrong;
// when the id could be read, the returned envelope carries it so the error
// can reference the request.
func Decode(b []byte) (Envelope, error) {
	var env Envelope
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return env, Errorf(CodeBadRequest, "a message is a JSON object")
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return Envelope{}, Errorf(CodeBadRequest, "malformed message: "+jsonProblem(err))
	}
	if len(env.ID) > maxIDLen || !printable(env.ID) {
		return Envelope{}, Errorf(CodeBadRequest, "id must be at most 64 printable ASCII characters")
	}
	switch {
	case env.V != Version:
		return env, Errorf(CodeUnsupported, "this server speaks protocol v"+strconv.Itoa(Version))
	case env.Type == "":
		return env, Errorf(CodeBadRequest, "type is required")
	case !knownTypes[env.Type]:
		return env, Errorf(CodeUnknownType, "unknown message type")
	}
	if d := bytes.TrimSpace(env.Data); len(d) > 0 && !bytes.Equal(d, []byte("null")) && d[0] != '{' {
		return env, Errorf(CodeBadRequest, "data must be a JSON object")
	}
	return env, nil
}

// decodeData unmarshals env.Data into v; a missing data field leaves v zero.
func decodeData(env Envelope, v any) error {
	if len(env.Data) == 0 {
		return nil
	}
	if err := json.Unmarshal(env.Data, v); err != nil {
		return Errorf(CodeBadRequest, "bad data for "+env.Type+": "+jsonProblem(err))
	}
	return nil
}

// jsonProblem words a JSON error for the client without echoing its input
// back at length.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "field " + strconv.Quote(te.Field) + " must be a " + te.Type.String()
	}
	msg := err.Error()
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return strings.TrimPrefix(msg, "json: ")
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// encode builds one outgoing message. Encoding our own types cannot fail;
// if it ever did, the client gets an internal error instead of silence.
func encode(typ, id string, seq int64, data any) []byte {
	raw, err := json.Marshal(data)
	if err != nil {
		raw, _ = json.Marshal(ErrorData{Code: CodeInternal, Message: "internal error", RefID: id})
		typ = TypeError
	}
	return encodeRaw(typ, id, seq, raw)
}

// encodeRaw builds one outgoing message around already-encoded data, such as
// a room event's, without decoding and re-encoding it. data must be valid
// JSON, and is: it is json.Marshal's output (encode) or a room event's,
// which the log's decoder validated. The envelope is written by hand, as
// json.Marshal would write it, because json.Marshal would also compact and
// re-validate data for every relayed event.
func encodeRaw(typ, id string, seq int64, data json.RawMessage) []byte {
	b := make([]byte, 0, 48+len(typ)+len(id)+len(data))
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, Version, 10)
	b = append(b, `,"type":`...)
	b = jsonenc.String(b, typ)
	if id != "" {
		b = append(b, `,"id":`...)
		b = jsonenc.String(b, id)
	}
	if seq != 0 {
		b = append(b, `,"seq":`...)
		b = strconv.AppendInt(b, seq, 10)
	}
	if len(data) > 0 {
		b = append(b, `,"data":`...)
		b = append(b, data...)
	}
	return append(b, '}')
}

// ClientTypes lists every client → server message type of protocol v1,
// sorted, for tables that must cover them all (docs/SECURITY.md).
func ClientTypes() []string {
	out := make([]string, 0, len(knownTypes))
	for t := range knownTypes {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}
