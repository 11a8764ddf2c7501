package events

import (
	"fmt"
	"strings"
	"testing"
)

func TestAliasesAreStablePerRoomAndKey(t *testing.T) {
	a, b := NewAliases([]byte("k")), NewAliases([]byte("k"))
	u := "11111111-1111-4111-8111-111111111111"
	if a.Of("r1", u) != b.Of("r1", u) || !strings.HasPrefix(a.Of("r1", u), AliasPrefix) {
		t.Fatalf("same key, same room: %q vs %q", a.Of("r1", u), b.Of("r1", u))
	}
	if a.Of("r1", u) == a.Of("r2", u) {
		t.Fatal("a bidder has the same alias in two rooms")
	}
	if a.Of("r1", u) == NewAliases([]byte("other")).Of("r1", u) {
		t.Fatal("the alias does not depend on the key")
	}
	if a.Of("r1", "") != "" {
		t.Fatal("no user, yet an alias")
	}
}

// TestAliasMemoIsBoundedAndTrue: a remembered alias is the derived one,
// and the memo never holds more than maxAliasMemo entries.
func TestAliasMemoIsBoundedAndTrue(t *testing.T) {
	a := NewAliases([]byte("k"))
	for i := range maxAliasMemo + 10 {
		u := fmt.Sprintf("user-%d", i)
		if got, want := a.Of("r1", u), a.derive("r1", u); got != want {
			t.Fatalf("alias of %s = %q, derived %q", u, got, want)
		}
		if again := a.Of("r1", u); again != a.derive("r1", u) {
			t.Fatalf("remembered alias of %s = %q", u, again)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if n := len(a.memo); n == 0 || n > maxAliasMemo {
		t.Fatalf("memo holds %d aliases, want 1..%d", n, maxAliasMemo)
	}
}

// BenchmarkAliasOf: a remembered alias against deriving it.
func BenchmarkAliasOf(b *testing.B) {
	a := NewAliases([]byte("k"))
	u := "11111111-1111-4111-8111-111111111111"
	b.Run("remembered", func(b *testing.B) {
		for b.Loop() {
			a.Of("room", u)
		}
	})
	b.Run("derived", func(b *testing.B) {
		for b.Loop() {
			a.derive("room", u)
		}
	})
}
