package accessnotice

import (
	"context"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Notice
		ok   bool
	}{
		{`{"user_id":"u"}`, Notice{UserID: "u"}, true},
		{`{"room_id":"r"}`, Notice{RoomID: "r"}, true},
		{`{"user_id":"u","room_id":"r","role":"admin"}`, Notice{UserID: "u", RoomID: "r"}, true},
		{`{}`, Notice{}, false},
		{`null`, Notice{}, false},
		{`not json`, Notice{}, false},
	}
	for _, tc := range tests {
		got, err := Parse(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Parse(%s) = %+v, %v; want %+v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	if err := Publish(context.Background(), nil, Notice{}); err == nil {
		t.Error("an empty notice was published")
	}
	if err := Publish(context.Background(), nil, Notice{UserID: "u"}); err != nil {
		t.Errorf("publish without Redis: %v", err)
	}
}

// FuzzParse: any payload either parses to a notice naming something or is
// refused; it never panics.
func FuzzParse(f *testing.F) {
	f.Add(`{"user_id":"u","room_id":"r"}`)
	f.Add(`{"user_id":""}`)
	f.Add(`[1,2]`)
	f.Fuzz(func(t *testing.T, payload string) {
		n, err := Parse(payload)
		if err == nil && n.UserID == "" && n.RoomID == "" {
			t.Fatalf("Parse(%q) accepted an empty notice", payload)
		}
	})
}
