package api

import (
	"context"
	"testing"
	"time"

	"github.com/bidcast/bidcast/storage"
)

// TestMyNotifications covers the inbox: a user sees only their own
// notifications, newest first, paged, with the lot's item title; marking
// read through an id marks that one and older ones, and never another
// user's.
func TestMyNotifications(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := context.Background()
	seller := e.user("sam", RoleSeller)
	alice := e.user("alice", RoleBidder)
	bob := e.user("bob", "guest")
	room := e.must(e.do("POST", "/rooms", seller, map[string]any{"title": "show"}), 201).str("id")
	item := e.must(e.do("POST", "/items", seller, map[string]any{"title": "vase"}), 201).str("id")
	lot := e.must(e.do("POST", "/rooms/"+room+"/lots", seller, validLot(item)), 201).str("id")

	// Rows as the bid pipeline's background worker writes them, a second
	// apart so the order is certain.
	add := func(who, kind, key string, amount int64, at time.Time) {
		t.Helper()
		if _, err := e.db.Pool.Exec(ctx, `INSERT INTO notifications (user_id, kind, room_id, lot_id, amount,
			currency, dedupe_key, created_at) VALUES ($1, $2, $3, $4, $5, 'EUR', $6, $7)`,
			uid(who), kind, room, lot, amount, key, at); err != nil {
			t.Fatal(err)
		}
	}
	base := time.Now().Add(-time.Minute)
	add(alice, storage.NotifyOutbid, "o1", 1100, base)
	add(bob, storage.NotifyOutbid, "o2", 1200, base.Add(time.Second))
	add(alice, storage.NotifyOutbid, "o3", 1300, base.Add(2*time.Second))
	add(alice, storage.NotifyWon, "w1", 1400, base.Add(3*time.Second))
	add(seller, storage.NotifySold, "s1", 1400, base.Add(3*time.Second))

	e.must(e.do("GET", "/me/notifications", "", nil), 401)

	list := func(who, query string) resp {
		t.Helper()
		return e.must(e.do("GET", "/me/notifications"+query, who, nil), 200)
	}
	// Alice's, newest first, over two pages.
	var kinds []string
	var amounts []float64
	var first string
	cursor := ""
	for page := 0; ; page++ {
		r := list(alice, "?limit=2&cursor="+cursor)
		for _, n := range r.list() {
			if first == "" {
				first = n["id"].(string)
			}
			kinds = append(kinds, n["kind"].(string))
			amounts = append(amounts, n["amount"].(float64))
			if n["item_title"] != "vase" || n["room_id"] != room || n["lot_id"] != lot || n["currency"] != "EUR" {
				t.Fatalf("notification %v", n)
			}
			if _, ok := n["read_at"]; ok {
				t.Fatalf("unread notification has read_at: %v", n)
			}
		}
		if cursor = r.str("next_cursor"); cursor == "" {
			break
		}
		if page > 3 {
			t.Fatal("paging does not end")
		}
	}
	if len(kinds) != 3 || kinds[0] != "won" || amounts[0] != 1400 || amounts[1] != 1300 || amounts[2] != 1100 {
		t.Fatalf("alice sees %v %v, want won 1400, outbid 1300, outbid 1100", kinds, amounts)
	}
	bobs := list(bob, "").list()
	if len(bobs) != 1 || bobs[0]["amount"] != 1200.0 {
		t.Fatalf("bob sees %v, want his one outbid", bobs)
	}
	if r := e.do("GET", "/me/notifications?limit=0", alice, nil); r.Status != 400 || r.errField() != "limit" {
		t.Fatalf("limit=0: %d %s", r.Status, r.Raw)
	}

	// Marking read through the middle one marks it and the older one.
	middle := list(alice, "").list()[1]["id"].(string)
	r := e.must(e.do("POST", "/me/notifications/read", alice, map[string]any{"up_to": middle}), 200)
	if r.Body["marked"] != 2.0 {
		t.Fatalf("marked %v, want 2: %s", r.Body["marked"], r.Raw)
	}
	read := map[string]bool{}
	for _, n := range list(alice, "").list() {
		_, ok := n["read_at"]
		read[n["kind"].(string)+"/"+ftoa(n["amount"].(float64))] = ok
	}
	if read["won/1400"] || !read["outbid/1300"] || !read["outbid/1100"] {
		t.Fatalf("read after marking through the middle: %v", read)
	}
	// Another user's id marks nothing, neither theirs nor the caller's.
	if r := e.must(e.do("POST", "/me/notifications/read", bob, map[string]any{"up_to": first}), 200); r.Body["marked"] != 0.0 {
		t.Fatalf("bob marked %v through alice's id", r.Body["marked"])
	}
	if _, ok := list(alice, "").list()[0]["read_at"]; ok {
		t.Fatal("bob's request marked alice's notification")
	}
	if _, ok := list(bob, "").list()[0]["read_at"]; ok {
		t.Fatal("alice's id marked bob's notification")
	}
	// Bad bodies are refused with the field named.
	for _, body := range []any{map[string]any{}, map[string]any{"up_to": "nope"}, "{"} {
		if r := e.do("POST", "/me/notifications/read", alice, body); r.Status != 400 {
			t.Fatalf("body %v: %d %s", body, r.Status, r.Raw)
		}
	}
	e.must(e.do("POST", "/me/notifications/read", "", map[string]any{"up_to": first}), 401)
}

func ftoa(f float64) string { return itoa(int(f)) }
