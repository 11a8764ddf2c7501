package namespace

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Namespace
		ok   bool
	}{
		{"", None, true},
		{"staging", "staging", true},
		{"prod-2_eu", "prod-2_eu", true},
		{"Staging", None, false},
		{"a:b", None, false},
		{"a b", None, false},
		{"{x}", None, false},
		{"abcdefghijklmnopqrstuvwxyz0123456", None, false}, // 33
		{"abcdefghijklmnopqrstuvwxyz012345", "abcdefghijklmnopqrstuvwxyz012345", true},
	} {
		got, err := Parse(tc.in)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("Parse(%q) = %q, %v; want %q, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q): error %v does not wrap ErrInvalid", tc.in, err)
		}
	}
}

func TestFromDeployment(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want Namespace
		ok   bool
	}{
		{"1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d", "d1a2b3c4d5e6f", true},
		{"1A2B3C4D-5E6F-4A1B-8C2D-3E4F5A6B7C8D", "d1a2b3c4d5e6f", true},
		{"", None, false},
		{"not-a-uuid", None, false},
		{"1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8g", None, false},
	} {
		got, err := FromDeployment(tc.id)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("FromDeployment(%q) = %q, %v; want %q, ok %v", tc.id, got, err, tc.want, tc.ok)
		}
	}
}

func TestChoose(t *testing.T) {
	boom := errors.New("database down")
	for _, tc := range []struct {
		name  string
		set   Namespace
		id    string
		err   error
		want  Namespace
		reads bool
		fails bool
	}{
		{"set wins, nothing read", "staging", "", boom, "staging", false, false},
		{"derived from the ID", None, "1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d", nil, "d1a2b3c4d5e6f", true, false},
		{"the read fails", None, "", boom, None, true, true},
		{"not a UUID", None, "nope", nil, None, true, true},
	} {
		read := false
		got, err := Choose(tc.set, func() (string, error) { read = true; return tc.id, tc.err })
		if got != tc.want || (err != nil) != tc.fails || read != tc.reads {
			t.Errorf("%s: Choose = %q, %v (read %v); want %q, fails %v, read %v",
				tc.name, got, err, read, tc.want, tc.fails, tc.reads)
		}
	}
}

func TestNameAndLegacy(t *testing.T) {
	if got := None.Name("lots"); got != "lots" {
		t.Errorf("None.Name = %q", got)
	}
	if got := None.Legacy("lots"); got != nil {
		t.Errorf("None.Legacy = %v, want none: its names are the legacy ones", got)
	}
	n := Namespace("d1a2b3c4d5e6f")
	if got := n.Name("lots"); got != "lots:d1a2b3c4d5e6f" {
		t.Errorf("Name = %q", got)
	}
	if got := n.Legacy("lots"); len(got) != 1 || got[0] != "lots" {
		t.Errorf("Legacy = %v", got)
	}
	if None.String() != "none" || n.String() != "d1a2b3c4d5e6f" {
		t.Errorf("String: %q, %q", None.String(), n.String())
	}
}

func TestQueues(t *testing.T) {
	weights := map[string]int{"lots": 2, "notify": 1}
	got := None.Queues(weights)
	if len(got) != 2 || got["lots"] != 2 || got["notify"] != 1 {
		t.Errorf("None.Queues = %v", got)
	}
	got = Namespace("x").Queues(weights)
	want := map[string]int{"lots:x": 2, "notify:x": 1, "lots": 1, "notify": 1}
	if len(got) != len(want) {
		t.Fatalf("Queues = %v, want %v", got, want)
	}
	for q, w := range want {
		if got[q] != w {
			t.Errorf("Queues = %v, want %v", got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "staging", "a:b", "Z", "abcdefghijklmnopqrstuvwxyz0123456"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			if n != None {
				t.Fatalf("Parse(%q) failed but returned %q", s, n)
			}
			return
		}
		if string(n) != s || len(s) > MaxLen {
			t.Fatalf("Parse(%q) = %q", s, n)
		}
		if again, err := Parse(string(n)); err != nil || again != n {
			t.Fatalf("Parse of its own result %q: %q, %v", n, again, err)
		}
	})
}
