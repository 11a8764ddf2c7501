package jsonenc

import (
	"encoding/json"
	"testing"
	"time"
)

func TestStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{
		"", "bid.accepted", "lt-7d8628df-62217", "a\"quote", `back\slash`, "<script>", "a&b", "tab\there",
		"new\nline", "\x00", "\x7f", "é", "日本", "\u2028", "\xff\xfe", "ok ~ }{ []",
	} {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := String([]byte("x"), s); string(got) != "x"+string(want) {
			t.Errorf("String(%q) = %s, want %s", s, got[1:], want)
		}
	}
}

func TestTimeMatchesEncodingJSON(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2026, 12, 5, 11, 56, 52, 687804178, time.UTC),
		time.Date(2026, 12, 5, 11, 56, 52, 0, time.UTC),
		time.Date(2026, 12, 5, 20, 56, 52, 100, time.FixedZone("KST", 9*3600)),
		{},
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	} {
		want, err := json.Marshal(tm)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := Time(nil, tm)
		if !ok || string(got) != string(want) {
			t.Errorf("Time(%v) = %s, %v; want %s", tm, got, ok, want)
		}
	}
	for _, tm := range []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if _, err := json.Marshal(tm); err == nil {
			t.Fatalf("encoding/json encoded %v", tm)
		}
		if got, ok := Time([]byte("x"), tm); ok || string(got) != "x" {
			t.Errorf("Time(%v) = %q, %v; want refused", tm, got, ok)
		}
	}
}

func FuzzString(f *testing.F) {
	for _, s := range []string{"", "plain", "a\"b", "<&>", "\xff", "\u2029"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := String(nil, s); string(got) != string(want) {
			t.Fatalf("String(%q) = %s, want %s", s, got, want)
		}
	})
}
