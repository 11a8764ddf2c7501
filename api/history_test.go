package api

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestBidHistoryHidesMaxima: a lot's public history never shows a proxy
// maximum, and shows the bids a maximum placed as plain bids placed when
// the bid they answered was (never at the maximum's own time and place in
// the order), one page after another without skipping any, whatever the
// page size.
func TestBidHistoryHidesMaxima(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := context.Background()
	seller := e.user("sam", RoleSeller)
	alice, bob := e.user("alice", RoleBidder), e.user("bob", RoleBidder)
	room := e.must(e.do("POST", "/rooms", seller, map[string]any{"title": "show"}), 201).str("id")
	item := e.must(e.do("POST", "/items", seller, map[string]any{"title": "vase"}), 201).str("id")
	lot := e.must(e.do("POST", "/rooms/"+room+"/lots", seller, validLot(item)), 201).str("id")

	maxAt := time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond)
	type row struct {
		id, who, kind string
		seq, amount   int64
		at            time.Time
	}
	// Each commit is one transaction, as the room actor writes them: a bid
	// and the proxy bids that answered it.
	commits := [][]row{
		{{"a-max", alice, "max", 1, 98_765, maxAt}, {"a-max~1", alice, "proxy", 1, 1000, maxAt}},
		{{"b-1", bob, "bid", 2, 1100, maxAt.Add(time.Minute)}, {"b-1~1", alice, "proxy", 1, 1200, maxAt}},
		{{"b-2", bob, "bid", 3, 1300, maxAt.Add(2 * time.Minute)}, {"b-2~1", alice, "proxy", 1, 1400, maxAt}},
	}
	for _, c := range commits {
		err := pgx.BeginFunc(ctx, e.db.Pool, func(tx pgx.Tx) error {
			for _, r := range c {
				if _, err := tx.Exec(ctx, `INSERT INTO bids (bid_id, room_id, lot_id, bidder_id, amount, currency,
					ingress_seq, received_at, outcome, kind) VALUES ($1, $2, $3, $4, $5, 'EUR', $6, $7, 'accepted', $8)`,
					r.id, room, lot, uid(r.who), r.amount, r.seq, r.at, r.kind); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"1400@3+2m", "1300@3+2m", "1200@2+1m", "1100@2+1m", "1000@1+0m"}
	for _, limit := range []int{1, 2, 5} {
		var got []string
		cursor := ""
		for {
			r := e.must(e.do("GET", fmt.Sprintf("/lots/%s/bids?limit=%d&cursor=%s", lot, limit, cursor), "", nil), 200)
			if strings.Contains(string(r.Raw), "98765") || strings.Contains(string(r.Raw), "proxy") ||
				strings.Contains(string(r.Raw), `"max"`) {
				t.Fatalf("the history shows a maximum: %s", r.Raw)
			}
			for _, b := range r.list() {
				at, _ := time.Parse(time.RFC3339Nano, b["received_at"].(string))
				got = append(got, fmt.Sprintf("%.0f@%.0f+%.0fm", b["amount"], b["seq"], at.Sub(maxAt).Minutes()))
			}
			if cursor = r.str("next_cursor"); cursor == "" {
				break
			}
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("limit %d: history %v, want %v", limit, got, want)
		}
	}
	// The owner still sees the maximum and what it placed for her.
	mine := string(e.must(e.do("GET", "/me/bids", alice, nil), 200).Raw)
	if !strings.Contains(mine, "98765") || !strings.Contains(mine, `"proxy"`) {
		t.Fatalf("alice's own bids: %s", mine)
	}
}
