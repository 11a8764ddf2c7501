package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// validLot is a lot body that passes every rule.
func validLot(itemID string) map[string]any {
	return map[string]any{
		"item_id":       itemID,
		"currency":      "EUR",
		"opening_price": 1000,
		"reserve_price": 5000,
		"increment_table": []map[string]any{
			{"from": 0, "step": 100}, {"from": 10000, "step": 500},
		},
		"clock_policy": map[string]any{"kind": "dynamic", "floor_ms": 10000, "tiers": []map[string]any{
			{"raise_bp": 500, "cut_ms": 2000}, {"raise_bp": 1000, "cut_ms": 5000}, {"raise_bp": 2500, "cut_ms": 10000}}},
		"duration_ms": 60000,
	}
}

// lotBody is validLot with one top-level field replaced by raw JSON.
func lotBody(t *testing.T, itemID, field, raw string) string {
	body := validLot(itemID)
	if raw == "" {
		delete(body, field)
	} else {
		body[field] = json.RawMessage(raw)
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLots(t *testing.T) {
	e := newEnv(t, Config{})
	alice := e.user("alice", RoleSeller)
	bob := e.user("bob", RoleSeller)
	room := e.must(e.do("POST", "/rooms", alice, map[string]any{"title": "show"}), 201).str("id")
	var items, lots []string
	for _, title := range []string{"a", "b", "c"} {
		items = append(items, e.must(e.do("POST", "/items", alice, map[string]any{"title": title}), 201).str("id"))
	}
	for _, it := range items {
		r := e.must(e.do("POST", "/rooms/"+room+"/lots", alice, validLot(it)), http.StatusCreated)
		lots = append(lots, r.str("id"))
	}
	// The public sees the lot but not its hidden reserve.
	pub := e.must(e.do("GET", "/lots/"+lots[0], "", nil), 200)
	if _, ok := pub.Body["reserve_price"]; ok || pub.Body["item"].(map[string]any)["title"] != "a" {
		t.Fatalf("public lot: %s", pub.Raw)
	}
	if own := e.must(e.do("GET", "/lots/"+lots[0], alice, nil), 200); own.Body["reserve_price"] != 5000.0 {
		t.Fatalf("seller's lot: %s", own.Raw)
	}

	// Reorder: c, a, b.
	order := e.must(e.do("PUT", "/rooms/"+room+"/lots/order", alice,
		map[string]any{"lot_ids": []string{lots[2], lots[0], lots[1]}}), 200)
	if got := order.list(); got[0]["id"] != lots[2] || got[1]["id"] != lots[0] || got[2]["id"] != lots[1] {
		t.Fatalf("order: %s", order.Raw)
	}
	e.must(e.do("PUT", "/rooms/"+room+"/lots/order", alice, map[string]any{"lot_ids": []string{lots[0], lots[1]}}),
		http.StatusConflict)
	e.must(e.do("PUT", "/rooms/"+room+"/lots/order", alice,
		map[string]any{"lot_ids": []string{lots[0], lots[0], lots[1]}}), http.StatusConflict)
	e.must(e.do("PUT", "/rooms/"+room+"/lots/order", bob, map[string]any{"lot_ids": []string{}}), http.StatusNotFound)

	// Only pending lots can be removed; a lot that ran is part of the record.
	if _, err := e.db.Pool.Exec(context.Background(), `UPDATE lots SET state = 'sold' WHERE id = $1`, lots[1]); err != nil {
		t.Fatal(err)
	}
	e.must(e.do("DELETE", "/lots/"+lots[1], alice, nil), http.StatusConflict)
	e.must(e.do("DELETE", "/lots/"+lots[0], bob, nil), http.StatusNotFound)
	e.must(e.do("DELETE", "/lots/"+lots[0], alice, nil), http.StatusNoContent)
	left := e.must(e.do("GET", "/rooms/"+room+"/lots", "", nil), 200).list()
	if len(left) != 2 || left[0]["id"] != lots[2] || left[1]["id"] != lots[1] {
		t.Fatalf("after removal: %v", left)
	}
	// An item in a lot cannot be deleted from the catalogue.
	e.must(e.do("DELETE", "/items/"+items[1], alice, nil), http.StatusConflict)
}

func TestLotValidation(t *testing.T) {
	e := newEnv(t, Config{})
	alice := e.user("alice", RoleSeller)
	bob := e.user("bob", RoleSeller)
	room := e.must(e.do("POST", "/rooms", alice, map[string]any{"title": "show"}), 201).str("id")
	item := e.must(e.do("POST", "/items", alice, map[string]any{"title": "a"}), 201).str("id")
	bobs := e.must(e.do("POST", "/items", bob, map[string]any{"title": "b"}), 201).str("id")

	dyn := func(body string) string { return `{"kind":"dynamic",` + body + `}` }
	cases := []struct {
		name, field, raw string
		status           int
		wantField        string
	}{
		{"fraction", "opening_price", `10.5`, 422, "opening_price"},
		{"exponent", "opening_price", `1e3`, 422, "opening_price"},
		{"string amount", "opening_price", `"1000"`, 422, "opening_price"},
		{"huge amount", "opening_price", `99999999999999999999`, 422, "opening_price"},
		{"negative", "opening_price", `-1`, 422, "opening_price"},
		{"above max", "reserve_price", `1000000000000000001`, 422, "reserve_price"},
		{"missing price", "opening_price", ``, 422, "opening_price"},
		{"lowercase currency", "currency", `"eur"`, 422, "currency"},
		{"bad item id", "item_id", `"x"`, 422, "item_id"},
		{"unknown item", "item_id", `"00000000-0000-0000-0000-000000000000"`, 422, "item_id"},
		{"another seller's item", "item_id", `"` + bobs + `"`, 422, "item_id"},
		{"short duration", "duration_ms", `100`, 422, "duration_ms"},
		{"fraction duration", "duration_ms", `60000.5`, 422, "duration_ms"},
		{"no bands", "increment_table", `[]`, 422, "increment_table"},
		{"first band not zero", "increment_table", `[{"from":5,"step":1}]`, 422, "increment_table[0].from"},
		{"unsorted bands", "increment_table", `[{"from":0,"step":1},{"from":500,"step":5},{"from":100,"step":2}]`, 422, "increment_table[2].from"},
		{"zero step", "increment_table", `[{"from":0,"step":0}]`, 422, "increment_table[0].step"},
		{"fraction step", "increment_table", `[{"from":0,"step":0.5}]`, 422, "increment_table.step"},
		{"band unknown field", "increment_table", `[{"from":0,"step":1,"pct":5}]`, 400, "pct"},
		{"no kind", "clock_policy", `{}`, 422, "clock_policy.kind"},
		{"unknown kind", "clock_policy", `{"kind":"dutch"}`, 422, "clock_policy.kind"},
		{"dynamic without floor", "clock_policy", dyn(`"tiers":[{"raise_bp":500,"cut_ms":2000}]`), 422, "clock_policy.floor_ms"},
		{"dynamic without tiers", "clock_policy", dyn(`"floor_ms":10000`), 422, "clock_policy.tiers"},
		{"dynamic unsorted tiers", "clock_policy", dyn(`"floor_ms":10000,"tiers":[{"raise_bp":500,"cut_ms":2000},{"raise_bp":100,"cut_ms":3000}]`), 422, "clock_policy.tiers[1].raise_bp"},
		{"dynamic shrinking cut", "clock_policy", dyn(`"floor_ms":10000,"tiers":[{"raise_bp":500,"cut_ms":2000},{"raise_bp":900,"cut_ms":1000}]`), 422, "clock_policy.tiers[1].cut_ms"},
		{"dynamic floor above duration", "clock_policy", dyn(`"floor_ms":120000,"tiers":[{"raise_bp":500,"cut_ms":2000}]`), 422, "clock_policy.floor_ms"},
		{"dynamic with window", "clock_policy", dyn(`"floor_ms":1000,"window_ms":5000,"tiers":[{"raise_bp":5,"cut_ms":2}]`), 422, "clock_policy.window_ms"},
		{"soft-close without window", "clock_policy", `{"kind":"soft-close"}`, 422, "clock_policy.window_ms"},
		{"soft-close tiny window", "clock_policy", `{"kind":"soft-close","window_ms":5}`, 422, "clock_policy.window_ms"},
		{"soft-close with tiers", "clock_policy", `{"kind":"soft-close","window_ms":10000,"tiers":[]}`, 422, "clock_policy.tiers"},
		{"sudden-death with floor", "clock_policy", `{"kind":"sudden-death","floor_ms":1000}`, 422, "clock_policy.floor_ms"},
		{"policy unknown field", "clock_policy", `{"kind":"sudden-death","grace_ms":1}`, 400, "grace_ms"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do("POST", "/rooms/"+room+"/lots", alice, lotBody(t, item, c.field, c.raw))
			if r.Status != c.status || r.errField() != c.wantField {
				t.Fatalf("got %d %s, want %d field %q", r.Status, r.Raw, c.status, c.wantField)
			}
		})
	}
	// The other policies are accepted as documented.
	for _, policy := range []string{`{"kind":"soft-close","window_ms":10000}`, `{"kind":"sudden-death"}`} {
		r := e.must(e.do("POST", "/rooms/"+room+"/lots", alice, lotBody(t, item, "clock_policy", policy)), 201)
		if got, _ := json.Marshal(r.Body["clock_policy"]); !strings.Contains(string(got), `"kind"`) {
			t.Fatalf("stored policy: %s", r.Raw)
		}
	}
	if n := len(e.must(e.do("GET", "/rooms/"+room+"/lots", alice, nil), 200).list()); n != 2 {
		t.Fatalf("%d lots, want only the 2 valid ones", n)
	}
}
