package api

import (
	"net/http"
	"strings"
	"testing"
)

func TestItemsCRUD(t *testing.T) {
	e := newEnv(t, Config{})
	alice := e.user("alice", RoleSeller)

	created := e.must(e.do("POST", "/items", alice, map[string]any{
		"title": "Leica M3", "description": "1956, working", "category": "cameras"}), http.StatusCreated)
	id := created.str("id")
	if created.Header.Get("ETag") != `"v1"` || created.Header.Get("Location") != Prefix+"/items/"+id {
		t.Fatalf("headers: %v", created.Header)
	}
	got := e.must(e.do("GET", "/items/"+id, alice, nil), http.StatusOK)
	if got.str("title") != "Leica M3" || got.str("seller_id") != uid(alice) {
		t.Fatalf("got %s", got.Raw)
	}
	if media, ok := got.Body["media"].([]any); !ok || len(media) != 0 {
		t.Fatalf("media should be an empty list: %s", got.Raw)
	}

	// An update needs the ETag it was read with.
	e.must(e.do("PATCH", "/items/"+id, alice, map[string]any{"title": "Leica M3 DS"}), http.StatusPreconditionRequired)
	upd := e.must(e.do("PATCH", "/items/"+id, alice, map[string]any{"title": "Leica M3 DS"},
		"If-Match", got.Header.Get("ETag")), http.StatusOK)
	if upd.str("title") != "Leica M3 DS" || upd.str("description") != "1956, working" || upd.Header.Get("ETag") != `"v2"` {
		t.Fatalf("update: %s %v", upd.Raw, upd.Header)
	}
	// A second editor still holding v1 is refused and changes nothing.
	stale := e.do("PATCH", "/items/"+id, alice, map[string]any{"title": "overwritten"}, "If-Match", `"v1"`)
	if stale.Status != http.StatusPreconditionFailed || stale.errCode() != "precondition_failed" {
		t.Fatalf("stale update: %d %s", stale.Status, stale.Raw)
	}
	if got := e.do("GET", "/items/"+id, alice, nil); got.str("title") != "Leica M3 DS" {
		t.Fatalf("stale update changed the item: %s", got.Raw)
	}

	e.must(e.do("POST", "/items", alice, map[string]any{"title": "Rolleiflex"}), http.StatusCreated)
	list := e.must(e.do("GET", "/items", alice, nil), http.StatusOK)
	if n := len(list.list()); n != 2 || list.list()[0]["title"] != "Rolleiflex" {
		t.Fatalf("list: %s", list.Raw)
	}

	e.must(e.do("DELETE", "/items/"+id, alice, nil, "If-Match", `"v1"`), http.StatusPreconditionFailed)
	e.must(e.do("DELETE", "/items/"+id, alice, nil), http.StatusNoContent)
	e.must(e.do("GET", "/items/"+id, alice, nil), http.StatusNotFound)
}

func TestItemValidation(t *testing.T) {
	e := newEnv(t, Config{MaxBodyBytes: 2048})
	alice := e.user("alice", RoleSeller)
	cases := []struct {
		name   string
		body   string
		ctype  string
		status int
		code   string
		field  string
	}{
		{"empty body", ``, "", 400, "invalid_json", ""},
		{"malformed", `{"title":`, "", 400, "invalid_json", ""},
		{"not an object", `["a"]`, "", 400, "invalid_json", ""},
		{"trailing data", `{"title":"a"} {"title":"b"}`, "", 400, "invalid_json", ""},
		{"unknown field", `{"title":"a","price":3}`, "", 400, "unknown_field", "price"},
		{"missing title", `{"description":"x"}`, "", 422, "invalid_field", "title"},
		{"blank title", `{"title":"   "}`, "", 422, "invalid_field", "title"},
		{"long title", `{"title":"` + strings.Repeat("x", 201) + `"}`, "", 422, "invalid_field", "title"},
		{"control char", `{"title":"a\u0000b"}`, "", 422, "invalid_field", "title"},
		{"wrong type", `{"title":5}`, "", 422, "invalid_field", "title"},
		{"long category", `{"title":"a","category":"` + strings.Repeat("c", 65) + `"}`, "", 422, "invalid_field", "category"},
		{"too large", `{"title":"a","description":"` + strings.Repeat("d", 3000) + `"}`, "", 413, "body_too_large", ""},
		{"not json", `title=a`, "application/x-www-form-urlencoded", 415, "unsupported_media_type", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var hdr []string
			if c.ctype != "" {
				hdr = []string{"Content-Type", c.ctype}
			}
			r := e.do("POST", "/items", alice, c.body, hdr...)
			if r.Status != c.status || r.errCode() != c.code || r.errField() != c.field {
				t.Fatalf("got %d %s, want %d %s field %q", r.Status, r.Raw, c.status, c.code, c.field)
			}
		})
	}
	list := e.must(e.do("GET", "/items", alice, nil), http.StatusOK)
	if len(list.list()) != 0 {
		t.Fatalf("a refused body created an item: %s", list.Raw)
	}
}

func TestAuthorization(t *testing.T) {
	e := newEnv(t, Config{})
	alice := e.user("alice", RoleSeller)
	bob := e.user("bob", RoleSeller)
	carol := e.user("carol", RoleBidder)
	admin := e.user("root", RoleAdmin)
	guest := e.user("gus", "guest")

	item := e.must(e.do("POST", "/items", alice, map[string]any{"title": "Vase"}), 201).str("id")
	room := e.must(e.do("POST", "/rooms", alice, map[string]any{"title": "Sunday show"}), 201).str("id")

	for _, c := range []struct {
		name, who, method, path string
		body                    any
		status                  int
	}{
		{"anonymous create", "", "POST", "/items", map[string]any{"title": "x"}, 401},
		{"bad credentials", "bad", "GET", "/rooms", nil, 401},
		{"bidder create", carol, "POST", "/items", map[string]any{"title": "x"}, 403},
		{"guest create room", guest, "POST", "/rooms", map[string]any{"title": "x"}, 403},
		{"anonymous my bids", "", "GET", "/me/bids", nil, 401},
		{"other seller reads item", bob, "GET", "/items/" + item, nil, 404},
		{"other seller edits item", bob, "PATCH", "/items/" + item, map[string]any{"title": "x"}, 404},
		{"other seller deletes item", bob, "DELETE", "/items/" + item, nil, 404},
		{"other seller edits room", bob, "PATCH", "/rooms/" + room, map[string]any{"title": "x"}, 404},
		{"other seller ends room", bob, "POST", "/rooms/" + room + "/end", nil, 404},
		{"other seller adds lot", bob, "POST", "/rooms/" + room + "/lots", validLot(item), 404},
		{"unknown item", alice, "GET", "/items/00000000-0000-0000-0000-000000000000", nil, 404},
		{"malformed id", alice, "GET", "/items/nope", nil, 404},
		{"admin reads item", admin, "GET", "/items/" + item, nil, 200},
		{"anonymous reads room", "", "GET", "/rooms/" + room, nil, 200},
		{"guest reads my bids", guest, "GET", "/me/bids", nil, 200},
		{"no route", alice, "GET", "/nowhere", nil, 404},
		{"wrong method", alice, "PUT", "/items", nil, 405},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.method, c.path, c.who, c.body)
			if r.Status != c.status {
				t.Fatalf("got %d %s, want %d", r.Status, r.Raw, c.status)
			}
			if r.Status >= 400 && r.errCode() == "" {
				t.Fatalf("error without a code: %s", r.Raw)
			}
		})
	}
	// An admin may act on anyone's item.
	e.must(e.do("PATCH", "/items/"+item, admin, map[string]any{"category": "ceramics"}, "If-Match", "*"), 200)
}

// TestItemPagination pages a catalogue newest first while the seller adds
// items: the new ones sort before the cursor and never disturb later pages.
func TestItemPagination(t *testing.T) {
	e := newEnv(t, Config{})
	alice := e.user("alice", RoleSeller)
	var want []string
	for i := range 5 {
		id := e.must(e.do("POST", "/items", alice, map[string]any{"title": "item " + itoa(i)}), 201).str("id")
		want = append([]string{id}, want...)
	}
	var seen []string
	cursor := ""
	for {
		r := e.must(e.do("GET", "/items?limit=2&cursor="+cursor, alice, nil), 200)
		for _, it := range r.list() {
			seen = append(seen, it["id"].(string))
		}
		e.must(e.do("POST", "/items", alice, map[string]any{"title": "newer"}), 201)
		if cursor = r.str("next_cursor"); cursor == "" {
			break
		}
	}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Fatalf("pages gave %v, want %v", seen, want)
	}
}
