package api

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/bidcast/bidcast/storage"
)

// tokenViewer is the view rule with one valid viewer token per room, as the
// auth package's rule answers for a token it issued.
type tokenViewer map[string]string

func (v tokenViewer) CanView(_ context.Context, p Principal, room storage.Room, token string) error {
	if room.Public || p.Owns(room.SellerID) || token != "" && v[room.ID] == token {
		return nil
	}
	return errors.New("may not view")
}

// TestPrivateRoomReads: a private live room, its lots, bids and results
// are "missing" for anonymous callers, guests and other users, listed to
// none of them, and readable by its seller, an admin and the holder of a
// viewer token (X-Viewer-Token).
func TestPrivateRoomReads(t *testing.T) {
	views := tokenViewer{}
	e := &env{t: t, db: newDB(t), now: time.Now()}
	h, err := New(Config{RateLimit: RateLimitConfig{Disabled: true}}, Deps{DB: e.db, Auth: testAuth{}, Views: views})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(Prefix+"/", h)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)

	seller := e.user("sam", RoleSeller)
	other := e.user("olga", RoleSeller)
	bidder := e.user("bea", RoleBidder)
	guest := e.user("gus", "guest")
	admin := e.user("ada", RoleAdmin)
	room := e.must(e.do("POST", "/rooms", seller, map[string]any{"title": "vip", "public": false}), 201).str("id")
	item := e.must(e.do("POST", "/items", seller, map[string]any{"title": "ring"}), 201).str("id")
	lot := e.must(e.do("POST", "/rooms/"+room+"/lots", seller, validLot(item)), 201).str("id")
	e.must(e.do("POST", "/rooms/"+room+"/live", seller, nil), 200)
	views[room] = "vt-" + room
	if _, err := e.db.Pool.Exec(context.Background(), `INSERT INTO lot_results (lot_id, room_id, outcome,
		currency, closed_at) VALUES ($1, $2, 'unsold', 'EUR', now())`, lot, room); err != nil {
		t.Fatal(err)
	}

	reads := []string{"/rooms/" + room, "/rooms/" + room + "/lots", "/rooms/" + room + "/results",
		"/lots/" + lot, "/lots/" + lot + "/bids", "/lots/" + lot + "/result"}
	callers := []struct {
		name, who, token string
		want             int
	}{
		{"anonymous", "", "", 404},
		{"guest", guest, "", 404},
		{"bidder", bidder, "", 404},
		{"another seller", other, "", 404},
		{"forged viewer token", bidder, "vt-forged", 404},
		{"its seller", seller, "", 200},
		{"admin", admin, "", 200},
		{"viewer token holder", bidder, "vt-" + room, 200},
		{"anonymous viewer token holder", "", "vt-" + room, 200},
	}
	for _, c := range callers {
		for _, path := range reads {
			r := e.do("GET", path, c.who, nil, ViewerTokenHeader, c.token)
			if r.Status != c.want {
				t.Errorf("%s: GET %s = %d, want %d (%s)", c.name, path, r.Status, c.want, r.Raw)
			}
		}
		listed := false
		for _, q := range []string{"/rooms?status=live", "/rooms?status=live&seller=" + uid(seller)} {
			for _, it := range e.must(e.do("GET", q, c.who, nil, ViewerTokenHeader, c.token), 200).list() {
				listed = listed || it["id"] == room
			}
		}
		if wantListed := c.name == "admin"; listed != wantListed {
			t.Errorf("%s: private room listed = %v, want %v", c.name, listed, wantListed)
		}
	}
	// Its seller finds it in their own listing.
	mine := e.must(e.do("GET", "/rooms?status=live&seller=me", seller, nil), 200).list()
	if len(mine) != 1 || mine[0]["id"] != room {
		t.Errorf("seller's own listing = %v", mine)
	}
}
