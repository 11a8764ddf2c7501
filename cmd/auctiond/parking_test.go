package main

import (
	"context"
	"slices"
	"testing"

	"github.com/bidcast/bidcast/sfu"
)

type wakeLog []string

func (w *wakeLog) Wake(roomID string) { *w = append(*w, roomID) }

// TestMediaWakesParkedRooms: a publisher or viewer let in over WHIP or
// WHEP wakes the room; one refused does not.
func TestMediaWakesParkedRooms(t *testing.T) {
	authz := &sfu.StaticAuthorizer{}
	authz.SetRoom("r1", "pub", "")
	var woke wakeLog
	m := wakingMedia{Authorizer: authz, waker: &woke}
	ctx := context.Background()
	if err := m.AuthorizePublish(ctx, "r1", "wrong"); err == nil {
		t.Fatal("a wrong publish token was let in")
	}
	if err := m.AuthorizeView(ctx, "nope", ""); err == nil {
		t.Fatal("a viewer of an unknown room was let in")
	}
	if len(woke) != 0 {
		t.Fatalf("refused requests woke %v", woke)
	}
	if err := m.AuthorizePublish(ctx, "r1", "pub"); err != nil {
		t.Fatal(err)
	}
	if err := m.AuthorizeView(ctx, "r1", ""); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(woke, []string{"r1", "r1"}) {
		t.Fatalf("woken = %v, want r1 twice", woke)
	}
}
