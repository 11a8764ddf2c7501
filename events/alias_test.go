package events

import (
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
