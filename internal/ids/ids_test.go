package ids

import (
	"regexp"
	"testing"
)

// canonical is the shape Valid checks, written the obvious (slow) way.
var canonical = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func TestValid(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"6f1c2b1e-0000-4000-8000-000000000000", true},
		{"6F1C2B1E-ABCD-4000-8000-0000000000FF", true},
		{"00000000-0000-0000-0000-000000000000", true},
		{"", false},
		{"not-a-uuid", false},
		{"6f1c2b1e00000-4000-8000-000000000000", false},
		{"6f1c2b1e-0000-4000-8000-00000000000", false},
		{"6f1c2b1e-0000-4000-8000-0000000000000", false},
		{"6f1c2b1g-0000-4000-8000-000000000000", false},
		{"{6f1c2b1e-0000-4000-8000-000000000000}", false},
		{"6f1c2b1e000040008000000000000000", false},
		{"..%2F..%2Fetc/passwd-0000-0000-00000", false},
		{"6f1c2b1e-0000-4000-8000-00000000000\x00", false},
		{"6f1c2b1e-0000-4000-8000-00000000000é", false},
	}
	for _, tt := range tests {
		if got := Valid(tt.in); got != tt.want {
			t.Errorf("Valid(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestNew(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := New()
		if !Valid(id) || id[14] != '4' || !regexp.MustCompile(`^[0-9a-f-]+$`).MatchString(id) ||
			id[19] != '8' && id[19] != '9' && id[19] != 'a' && id[19] != 'b' {
			t.Fatalf("New() = %q: not a lower-case version 4 UUID", id)
		}
		if seen[id] {
			t.Fatalf("New() repeated %q", id)
		}
		seen[id] = true
	}
}

// FuzzValid holds Valid to the regular expression of the canonical form.
func FuzzValid(f *testing.F) {
	for _, s := range []string{"", "6f1c2b1e-0000-4000-8000-000000000000", New(), "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Valid(s), canonical.MatchString(s); got != want {
			t.Fatalf("Valid(%q) = %v, regexp says %v", s, got, want)
		}
	})
}
