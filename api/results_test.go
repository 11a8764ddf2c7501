package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bidcast/bidcast/storage"
)

// TestResultsAndBids covers a lot's public history, "my bids", the lot's
// result and "my wins", with rows written as the bid pipeline writes them.
func TestResultsAndBids(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := context.Background()
	seller := e.user("sam", RoleSeller)
	alice := e.user("alice", RoleBidder)
	bob := e.user("bob", "guest")
	room := e.must(e.do("POST", "/rooms", seller, map[string]any{"title": "show"}), 201).str("id")
	item := e.must(e.do("POST", "/items", seller, map[string]any{"title": "vase"}), 201).str("id")
	lot := e.must(e.do("POST", "/rooms/"+room+"/lots", seller, validLot(item)), 201).str("id")

	bid := func(seq int64, who string, amount int64, outcome, reason string) {
		t.Helper()
		_, err := e.db.Pool.Exec(ctx, `INSERT INTO bids (bid_id, room_id, lot_id, bidder_id, amount, currency,
			ingress_seq, received_at, outcome, reason) VALUES ($1, $2, $3, $4, $5, 'EUR', $6, $7, $8, $9)`,
			"b"+itoa(int(seq)), room, lot, uid(who), amount, seq, time.Now(), outcome, reason)
		if err != nil {
			t.Fatal(err)
		}
	}
	bid(1, alice, 1000, "accepted", "")
	bid(2, bob, 1100, "accepted", "")
	bid(3, bob, 1100, "rejected", "too_low")
	bid(4, alice, 1200, "accepted", "")
	bid(5, bob, 1300, "accepted", "")
	bid(6, alice, 1400, "accepted", "")
	// Alice's hidden maximum (seq 6 set it) and a bid it placed for her:
	// the public sees the placed bid as a plain bid, never the maximum.
	for _, row := range []struct {
		id, kind string
		amount   int64
	}{{"max-6", "max", 98_765}, {"b6~1", "proxy", 1450}} {
		if _, err := e.db.Pool.Exec(ctx, `INSERT INTO bids (bid_id, room_id, lot_id, bidder_id, amount, currency,
			ingress_seq, received_at, outcome, kind) VALUES ($1, $2, $3, $4, $5, 'EUR', 6, $6, 'accepted', $7)`,
			row.id, room, lot, uid(alice), row.amount, time.Now(), row.kind); err != nil {
			t.Fatal(err)
		}
	}

	// Public history: newest first, accepted price bids only, bidders by
	// room alias, paged by sequence; a bid arriving while paging does not
	// shift the pages.
	var amounts []float64
	aliases := map[float64]string{}
	cursor := ""
	for page := 0; ; page++ {
		r := e.must(e.do("GET", "/lots/"+lot+"/bids?limit=2&cursor="+cursor, "", nil), 200)
		for _, b := range r.list() {
			amounts = append(amounts, b["amount"].(float64))
			aliases[b["amount"].(float64)] = b["bidder"].(string)
			if name := b["bidder"].(string); !strings.HasPrefix(name, "Bidder ") {
				t.Fatalf("bidder not named by alias: %v", b)
			}
			if _, ok := b["bidder_id"]; ok {
				t.Fatal("bidder ID exposed")
			}
			if b["kind"] != "bid" {
				t.Fatalf("a %v row in the public history: %v", b["kind"], b)
			}
		}
		if page == 0 {
			bid(7, bob, 1500, "accepted", "")
		}
		if cursor = r.str("next_cursor"); cursor == "" {
			break
		}
	}
	want := []float64{1450, 1400, 1300, 1200, 1100, 1000}
	if a, b := aliases[1000], aliases[1100]; a == b || a != aliases[1400] || a != aliases[1450] || b != aliases[1300] {
		t.Fatalf("aliases are not one per bidder: %v", aliases)
	}
	if len(amounts) != len(want) {
		t.Fatalf("history %v, want %v", amounts, want)
	}
	for i := range want {
		if amounts[i] != want[i] {
			t.Fatalf("history %v, want %v", amounts, want)
		}
	}
	if r := e.do("GET", "/lots/"+lot+"/bids?cursor="+keyCursor(storagePageKey()), "", nil); r.Status != 400 {
		t.Fatalf("a time cursor on a sequence listing: %d", r.Status)
	}

	mine := e.must(e.do("GET", "/me/bids", bob, nil), 200).list()
	if len(mine) != 4 {
		t.Fatalf("bob's bids: %v", mine)
	}
	refused := false
	for _, b := range mine {
		refused = refused || b["outcome"] == "rejected" && b["reason"] == "too_low"
	}
	if !refused {
		t.Fatalf("bob's refused bid is missing: %v", mine)
	}

	// No result until the lot closes.
	e.must(e.do("GET", "/lots/"+lot+"/result", "", nil), http.StatusNotFound)
	if _, err := e.db.Pool.Exec(ctx, `INSERT INTO lot_results (lot_id, room_id, outcome, winner_id, winning_bid_id,
		price, currency, closed_at) VALUES ($1, $2, 'sold', $3, 'b7', 1500, 'EUR', now())`, lot, room, uid(bob)); err != nil {
		t.Fatal(err)
	}
	pub := e.must(e.do("GET", "/lots/"+lot+"/result", "", nil), 200)
	if pub.str("winner") != aliases[1100] || pub.Body["winner_id"] != nil || pub.Body["price"] != 1500.0 || pub.str("outcome") != "sold" {
		t.Fatalf("public result: %s", pub.Raw)
	}
	for _, who := range []string{bob, seller} {
		if r := e.must(e.do("GET", "/lots/"+lot+"/result", who, nil), 200); r.str("winner_id") != uid(bob) {
			t.Fatalf("result for %s: %s", who, r.Raw)
		}
	}
	if r := e.must(e.do("GET", "/lots/"+lot+"/result", alice, nil), 200); r.Body["winner_id"] != nil {
		t.Fatalf("a loser sees the winner: %s", r.Raw)
	}
	if rs := e.must(e.do("GET", "/rooms/"+room+"/results", "", nil), 200).list(); len(rs) != 1 || rs[0]["item_title"] != "vase" {
		t.Fatalf("room results: %v", rs)
	}
	wins := e.must(e.do("GET", "/me/wins", bob, nil), 200).list()
	if len(wins) != 1 || wins[0]["lot_id"] != lot || wins[0]["winner_id"] != uid(bob) {
		t.Fatalf("bob's wins: %v", wins)
	}
	if wins := e.must(e.do("GET", "/me/wins", alice, nil), 200).list(); len(wins) != 0 {
		t.Fatalf("alice's wins: %v", wins)
	}
}

// storagePageKey is any time-ordered page key.
func storagePageKey() storage.PageKey {
	return storage.PageKey{At: time.Now(), ID: "00000000-0000-0000-0000-000000000000"}
}
