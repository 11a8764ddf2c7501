package envconf

import (
	"strings"
	"testing"
)

func TestWithDefaults(t *testing.T) {
	vars := []Var{{"A", "1", "a"}, {"B", "<hostname>", "b"}, {"C", "http://<HTTP_ADDR>", "c"}, {"D", "", "d"}}
	env := WithDefaults(func(k string) string { return map[string]string{"D": "set"}[k] }, vars)
	for name, want := range map[string]string{"A": "1", "B": "", "C": "", "D": "set", "UNKNOWN": ""} {
		if got := env(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

func TestTable(t *testing.T) {
	got := Table([]Var{{"A", "1", "first"}, {"LONGER", "", "second"}})
	want := "  A       1\n      first\n  LONGER  (none)\n      second\n"
	if got != want {
		t.Fatalf("Table:\n%s\nwant:\n%s", got, want)
	}
	if !strings.HasSuffix(got, "\n") {
		t.Fatal("no final newline")
	}
}
