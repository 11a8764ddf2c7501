package envconf

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestGetters(t *testing.T) {
	env := map[string]string{
		"S": "/srv/x", "B1": "YES", "B0": "off", "BT": "t", "BBAD": "maybe",
		"N": " 7 ", "NLOW": "0", "NBAD": "7x", "Z": "1048576", "ZBAD": "15MB", "ZNEG": "-1",
		"D": "90s", "DBAD": "soon", "DNEG": "-3s", "L": " a, ,b ,c",
	}
	r := New(func(k string) string { return env[k] })
	checks := []struct {
		name      string
		got, want any
	}{
		{"string", r.String("S", "d"), "/srv/x"},
		{"string default", r.String("UNSET", "d"), "d"},
		{"bool yes", r.Bool("B1", false), true},
		{"bool off", r.Bool("B0", true), false},
		{"bool t", r.Bool("BT", false), true},
		{"bool default", r.Bool("UNSET", true), true},
		{"bool bad keeps default", r.Bool("BBAD", true), true},
		{"int", r.Int("N", 1, 1, math.MaxInt), 7},
		{"int default", r.Int("UNSET", 3, 1, 10), 3},
		{"int below range", r.Int("NLOW", 4, 1, math.MaxInt), 4},
		{"int bad", r.Int("NBAD", 5, 0, 10), 5},
		{"size", r.Size("Z", 1), int64(1 << 20)},
		{"size bad", r.Size("ZBAD", 2), int64(2)},
		{"size negative", r.Size("ZNEG", 3), int64(3)},
		{"duration", r.Duration("D", time.Second), 90 * time.Second},
		{"duration default", r.Duration("UNSET", time.Second), time.Second},
		{"duration bad", r.Duration("DBAD", time.Second), time.Second},
		{"duration negative", r.Duration("DNEG", time.Second), time.Second},
		{"list", r.List("L"), []string{"a", "b", "c"}},
		{"list unset", r.List("UNSET"), []string(nil)},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.name, c.got, c.want)
		}
	}
	// Every bad value is reported, each naming its variable and value.
	err := r.Err()
	if err == nil {
		t.Fatal("no error for bad values")
	}
	for _, want := range []string{
		`BBAD="maybe": want true or false`,
		`NLOW="0": want a positive integer`,
		`NBAD="7x": want a whole number from 0 to 10`,
		`ZBAD="15MB": want a positive number of bytes`,
		`ZNEG="-1": want a positive number of bytes`,
		`DBAD="soon": want a positive duration`,
		`DNEG="-3s": want a positive duration`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 7 {
		t.Errorf("%d problems reported, want 7:\n%v", n, err)
	}
}

func TestCap(t *testing.T) {
	env := map[string]string{"SET": "7", "ZERO": "0", "BAD": "-1", "HIGH": "11"}
	for _, tc := range []struct {
		name    string
		def     int
		off     bool
		want    int
		problem bool
	}{
		{"SET", 3, false, 7, false},
		{"UNSET", 3, false, 3, false},
		{"UNSET", 0, false, -1, false},
		{"ZERO", 3, false, -1, false},
		{"SET", 3, true, -1, false},
		{"BAD", 3, false, 3, true},
		{"HIGH", 3, false, 3, true},
	} {
		r := New(func(k string) string { return env[k] })
		if got := r.Cap(tc.name, tc.def, 10, tc.off); got != tc.want || (r.Err() != nil) != tc.problem {
			t.Errorf("Cap(%s, %d, off=%v) = %d, err %v; want %d", tc.name, tc.def, tc.off, got, r.Err(), tc.want)
		}
	}
}

func TestNoErrorWhenAllParse(t *testing.T) {
	r := New(func(string) string { return "" })
	_ = r.Int("X", 0, 0, 1)
	_ = r.Bool("Y", false)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	r.Fail(nil)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
}

// FuzzGetters holds that no input panics and that a value a getter refuses
// is always reported with its variable's name.
func FuzzGetters(f *testing.F) {
	for _, s := range []string{"", "1", "-1", "1h", "yes", "9223372036854775808", " 3 ", "a,b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		r := New(func(string) string { return v })
		_ = r.Bool("V_BOOL", false)
		_ = r.Int("V_INT", 0, 0, 100)
		_ = r.Size("V_SIZE", 0)
		_ = r.Duration("V_DUR", 0)
		_ = r.List("V_LIST")
		if err := r.Err(); err != nil && !strings.Contains(err.Error(), "V_") {
			t.Fatalf("error without a name: %v", err)
		}
	})
}
