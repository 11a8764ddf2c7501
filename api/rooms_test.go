package api

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/bidcast/bidcast/storage"
)

func TestRoomsLifecycle(t *testing.T) {
	e := newEnv(t, Config{})
	alice := e.user("alice", RoleSeller)
	at := time.Now().Add(time.Hour).UTC().Truncate(time.Second)

	created := e.must(e.do("POST", "/rooms", alice, map[string]any{
		"title": "Vintage cameras", "description": "Live at 8", "scheduled_at": at}), http.StatusCreated)
	id := created.str("id")
	if tok := created.str("publish_token"); len(tok) < 20 || created.str("status") != "scheduled" ||
		created.Body["guests_may_bid"] != false {
		t.Fatalf("create: %s", created.Raw)
	}
	got := e.must(e.do("GET", "/rooms/"+id, "", nil), http.StatusOK)
	if _, ok := got.Body["publish_token"]; ok {
		t.Fatal("the publish token is shown again")
	}

	upd := e.must(e.do("PATCH", "/rooms/"+id, alice, map[string]any{"title": "Cameras!", "public": false},
		"If-Match", got.Header.Get("ETag")), http.StatusOK)
	if upd.str("title") != "Cameras!" || upd.Body["public"] != false || upd.str("description") != "Live at 8" {
		t.Fatalf("update: %s", upd.Raw)
	}
	e.must(e.do("PATCH", "/rooms/"+id, alice, map[string]any{"title": "x"}, "If-Match", got.Header.Get("ETag")),
		http.StatusPreconditionFailed)

	// Guest bidding is the room's own setting, on at create or by update.
	guests := e.must(e.do("PATCH", "/rooms/"+id, alice, map[string]any{"guests_may_bid": true},
		"If-Match", upd.Header.Get("ETag")), http.StatusOK)
	if guests.Body["guests_may_bid"] != true || guests.str("title") != "Cameras!" {
		t.Fatalf("update guest bidding: %s", guests.Raw)
	}
	if r, _ := storage.NewRooms(e.db).Get(context.Background(), id); !r.GuestsMayBid {
		t.Fatal("guest bidding not stored")
	}
	open := e.must(e.do("POST", "/rooms", alice, map[string]any{"title": "Open house", "guests_may_bid": true}),
		http.StatusCreated)
	if open.Body["guests_may_bid"] != true {
		t.Fatalf("create with guest bidding: %s", open.Raw)
	}

	later := at.Add(24 * time.Hour)
	sch := e.must(e.do("POST", "/rooms/"+id+"/schedule", alice, map[string]any{"scheduled_at": later}), http.StatusOK)
	if sch.str("scheduled_at") != later.Format(time.RFC3339) {
		t.Fatalf("schedule: %s", sch.Raw)
	}
	e.must(e.do("POST", "/rooms/"+id+"/schedule", alice, map[string]any{"scheduled_at": time.Now().Add(-time.Hour)}),
		http.StatusUnprocessableEntity)

	bob := e.user("bob", RoleSeller)
	e.must(e.do("POST", "/rooms/"+id+"/live", bob, nil), http.StatusNotFound) // not their room
	live := e.must(e.do("POST", "/rooms/"+id+"/live", alice, nil), http.StatusOK)
	if live.str("status") != "live" || live.Body["started_at"] == nil {
		t.Fatalf("go live: %s", live.Raw)
	}
	e.must(e.do("POST", "/rooms/"+id+"/live", alice, nil), http.StatusConflict)

	// The seller rotates the publish token: the new one works, the first
	// no longer does; another seller may not rotate it.
	first := created.str("publish_token")
	e.must(e.do("POST", "/rooms/"+id+"/publish-token", bob, nil), http.StatusNotFound)
	rot := e.must(e.do("POST", "/rooms/"+id+"/publish-token", alice, nil), http.StatusOK)
	fresh := rot.str("publish_token")
	rooms := storage.NewRooms(e.db)
	if ok, _ := rooms.CheckPublishToken(context.Background(), id, fresh); !ok || fresh == first {
		t.Fatalf("the new token %q does not work", fresh)
	}
	if ok, _ := rooms.CheckPublishToken(context.Background(), id, first); ok {
		t.Fatal("the old token still works after rotation")
	}

	ended := e.must(e.do("POST", "/rooms/"+id+"/end", alice, nil), http.StatusOK)
	if ended.str("status") != "ended" || ended.Body["ended_at"] == nil {
		t.Fatalf("end: %s", ended.Raw)
	}
	e.must(e.do("POST", "/rooms/"+id+"/end", alice, nil), http.StatusConflict)
	e.must(e.do("POST", "/rooms/"+id+"/publish-token", alice, nil), http.StatusConflict)
	e.must(e.do("PATCH", "/rooms/"+id, alice, map[string]any{"title": "x"}, "If-Match", "*"), http.StatusConflict)
	e.must(e.do("POST", "/rooms/"+id+"/schedule", alice, map[string]any{"scheduled_at": later}), http.StatusConflict)
	e.must(e.do("POST", "/rooms/"+id+"/live", alice, nil), http.StatusConflict)
}

func TestRoomValidation(t *testing.T) {
	e := newEnv(t, Config{})
	alice := e.user("alice", RoleSeller)
	for _, c := range []struct {
		name  string
		body  string
		code  int
		field string
	}{
		{"no title", `{}`, 422, "title"},
		{"past start", `{"title":"a","scheduled_at":"2001-01-01T00:00:00Z"}`, 422, "scheduled_at"},
		{"far start", `{"title":"a","scheduled_at":"2999-01-01T00:00:00Z"}`, 422, "scheduled_at"},
		{"bad time", `{"title":"a","scheduled_at":"tomorrow"}`, 400, ""},
		{"public not bool", `{"title":"a","public":"yes"}`, 422, "public"},
		{"unknown", `{"title":"a","status":"live"}`, 400, "status"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do("POST", "/rooms", alice, c.body)
			if r.Status != c.code || r.errField() != c.field {
				t.Fatalf("got %d %s, want %d field %q", r.Status, r.Raw, c.code, c.field)
			}
		})
	}
	for _, q := range []string{"?status=soon", "?limit=0", "?limit=1000", "?limit=x", "?cursor=!!", "?seller=nobody"} {
		if r := e.do("GET", "/rooms"+q, "", nil); r.Status != 400 || r.errCode() != "invalid_parameter" {
			t.Fatalf("GET /rooms%s: %d %s", q, r.Status, r.Raw)
		}
	}
}

// TestRoomPaginationStable pages through upcoming rooms while others are
// inserted: every room present at the start is seen exactly once, in order.
func TestRoomPaginationStable(t *testing.T) {
	e := newEnv(t, Config{})
	alice := e.user("alice", RoleSeller)
	base := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	var want []string
	for i := range 7 {
		r := e.must(e.do("POST", "/rooms", alice, map[string]any{"title": "show " + itoa(i),
			"scheduled_at": base.Add(time.Duration(i) * time.Minute)}), 201)
		want = append(want, r.str("id"))
	}
	// An unlisted room shows only in its seller's own listing.
	hidden := e.must(e.do("POST", "/rooms", alice, map[string]any{"title": "private",
		"public": false, "scheduled_at": base.Add(time.Hour)}), 201).str("id")

	var seen []string
	cursor := ""
	for page := 0; ; page++ {
		r := e.must(e.do("GET", "/rooms?status=upcoming&limit=3&cursor="+cursor, "", nil), 200)
		for _, it := range r.list() {
			seen = append(seen, it["id"].(string))
		}
		if page == 0 {
			// Inserted before the cursor (never shown) and after it (shown later).
			e.must(e.do("POST", "/rooms", alice, map[string]any{"title": "early",
				"scheduled_at": base.Add(-time.Minute)}), 201)
			late := e.must(e.do("POST", "/rooms", alice, map[string]any{"title": "late",
				"scheduled_at": base.Add(30 * time.Minute)}), 201)
			want = append(want, late.str("id"))
		}
		if cursor = r.str("next_cursor"); cursor == "" {
			break
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("saw %d rooms, want %d", len(seen), len(want))
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("room %d: got %s, want %s", i, seen[i], want[i])
		}
	}
	mine := e.must(e.do("GET", "/rooms?status=upcoming&seller=me&limit=100", alice, nil), 200)
	found := false
	for _, it := range mine.list() {
		found = found || it["id"] == hidden
	}
	if !found || len(mine.list()) != 10 {
		t.Fatalf("seller=me: %d rooms, hidden found %v", len(mine.list()), found)
	}
	if r := e.must(e.do("GET", "/rooms?status=live", "", nil), 200); len(r.list()) != 0 {
		t.Fatalf("live: %s", r.Raw)
	}
}
