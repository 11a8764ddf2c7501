package signaling

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		in, code, typ, id string
	}{
		{`{"v":1,"type":"join","id":"1","data":{"room_id":"r"}}`, "", TypeJoin, "1"},
		{` {"v":1,"type":"leave"} `, "", TypeLeave, ""},
		{`{"v":1,"type":"time.sync","data":null}`, "", TypeTimeSync, ""},
		{``, CodeBadRequest, "", ""},
		{`null`, CodeBadRequest, "", ""},
		{`"join"`, CodeBadRequest, "", ""},
		{`{"v":1,"type":"join"`, CodeBadRequest, "", ""},
		{`{"v":"1","type":"join"}`, CodeBadRequest, "", ""},
		{`{"v":1,"type":"join","id":"\u0000"}`, CodeBadRequest, "", ""},
		{`{"v":1,"type":"join","id":"` + string(make([]byte, 0)) + `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}`, CodeBadRequest, "", ""},
		{`{"v":2,"type":"join","id":"x"}`, CodeUnsupported, TypeJoin, "x"},
		{`{"type":"join"}`, CodeUnsupported, TypeJoin, ""},
		{`{"v":1,"id":"y"}`, CodeBadRequest, "", "y"},
		{`{"v":1,"type":"JOIN","id":"z"}`, CodeUnknownType, "JOIN", "z"},
		{`{"v":1,"type":"join","data":[1]}`, CodeBadRequest, TypeJoin, ""},
		{`{"v":1,"type":"join","data":"x"}`, CodeBadRequest, TypeJoin, ""},
	}
	for _, tc := range tests {
		env, err := Decode([]byte(tc.in))
		var e *Error
		switch {
		case tc.code == "" && err != nil:
			t.Errorf("Decode(%s) = %v", tc.in, err)
		case tc.code != "" && (!errors.As(err, &e) || e.Code != tc.code):
			t.Errorf("Decode(%s) error = %v, want %s", tc.in, err, tc.code)
		case env.Type != tc.typ || env.ID != tc.id:
			t.Errorf("Decode(%s) = type %q id %q, want %q %q", tc.in, env.Type, env.ID, tc.typ, tc.id)
		}
	}
}

// FuzzDecodeMessage checks that Decode never panics, that every refusal is
// a coded *Error, that an accepted envelope is a known v1 type with a short
// printable id, and that re-encoding it decodes to the same thing.
func FuzzDecodeMessage(f *testing.F) {
	for _, s := range []string{
		`{"v":1,"type":"join","id":"1","data":{"room_id":"7d1c2a4e-0000-4000-8000-000000000000","resume_from":12}}`,
		`{"v":1,"type":"bid.place","id":"b","data":{"lot_id":"x","amount":15000,"currency":"KRW","bid_id":"k"}}`,
		`{"v":1,"type":"chat.send","data":{"text":"héllo 👟"}}`,
		`{"v":1,"type":"media.candidate","data":{"session_id":"s","candidate":"{\"candidate\":\"a\"}"}}`,
		`{"v":1,"type":"time.sync","data":{"client_time":1700000000000}}`,
		`{"v":1,"type":"leave","data":null}`,
		`{"v":1,"type":"join","type":"leave"}`,
		`{"v":1e0,"type":"join"}`,
		`{"v":1,"type":"join","data":{"room_id":1}}`,
		`[]`, `{}`, `{"v":1`, "\xff\xfe", `{"v":1,"type":"x\u0000"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := Decode(b)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" || e.Message == "" {
				t.Fatalf("Decode error %v is not a coded *Error", err)
			}
			return
		}
		if env.V != Version || !knownTypes[env.Type] || len(env.ID) > maxIDLen || !printable(env.ID) {
			t.Fatalf("accepted bad envelope %+v", env)
		}
		again, err := Decode(mustJSON(t, env))
		if err != nil || again.Type != env.Type || again.ID != env.ID {
			t.Fatalf("round trip %+v → %+v, %v", env, again, err)
		}
		// Every handler's data type must cope with what Decode let through.
		for _, v := range []any{&JoinData{}, &ChatSendData{}, &BidData{}, &ModerationData{}, &MediaData{}} {
			_ = decodeData(env, v)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
