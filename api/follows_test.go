package api

import (
	"testing"
)

// TestFollowSellers follows a seller through the API (and refuses the
// cases that make no sense), takes the seller's room live, and checks the
// follower's inbox and following list; unfollowing stops the next show's
// notification.
func TestFollowSellers(t *testing.T) {
	e := newEnv(t, Config{})
	sam := e.user("sam", RoleSeller)
	alice := e.user("alice", RoleBidder)
	bob := e.user("bob", "guest")
	path := "/sellers/" + uid(sam) + "/follow"

	e.must(e.do("PUT", path, "", nil), 401)
	for _, tc := range []struct {
		method, path, who string
		status            int
	}{
		{"PUT", "/sellers/not-an-id/follow", alice, 400},
		{"PUT", "/sellers/" + uid(bob) + "/follow", alice, 404}, // not a seller
		{"PUT", "/sellers/00000000-0000-0000-0000-000000000000/follow", alice, 404},
		{"PUT", path, sam, 422}, // oneself
	} {
		e.must(e.do(tc.method, tc.path, tc.who, nil), tc.status)
	}
	if r := e.must(e.do("GET", path, alice, nil), 200); r.Body["following"] != false || r.Body["followers"] != 0.0 {
		t.Fatalf("before following: %v", r.Body)
	}
	for i := 0; i < 2; i++ { // twice is once
		if r := e.must(e.do("PUT", path, alice, nil), 200); r.Body["following"] != true || r.Body["followers"] != 1.0 {
			t.Fatalf("follow: %v", r.Body)
		}
	}
	e.must(e.do("PUT", path, bob, nil), 200)

	room := e.must(e.do("POST", "/rooms", sam, map[string]any{"title": "Sam's cameras"}), 201).str("id")
	e.must(e.do("POST", "/rooms/"+room+"/live", sam, nil), 200)
	for _, who := range []string{alice, bob} {
		got := e.must(e.do("GET", "/me/notifications", who, nil), 200).list()
		if len(got) != 1 || got[0]["kind"] != "seller_live" || got[0]["room_id"] != room || got[0]["room_title"] != "Sam's cameras" {
			t.Fatalf("%s's inbox: %v", who, got)
		}
		if _, ok := got[0]["lot_id"]; ok {
			t.Errorf("seller_live names a lot: %v", got[0])
		}
	}
	following := e.must(e.do("GET", "/me/following", alice, nil), 200).list()
	if len(following) != 1 || following[0]["seller_id"] != uid(sam) || following[0]["display_name"] != "sam" || following[0]["live_room_id"] != room {
		t.Fatalf("alice follows %v", following)
	}

	// Alice stops; the next show tells only Bob.
	if r := e.must(e.do("DELETE", path, alice, nil), 200); r.Body["following"] != false || r.Body["followers"] != 1.0 {
		t.Fatalf("unfollow: %v", r.Body)
	}
	e.must(e.do("DELETE", path, alice, nil), 200)
	next := e.must(e.do("POST", "/rooms", sam, map[string]any{"title": "Sam again"}), 201).str("id")
	e.must(e.do("POST", "/rooms/"+next+"/live", sam, nil), 200)
	if n := len(e.must(e.do("GET", "/me/notifications", alice, nil), 200).list()); n != 1 {
		t.Errorf("alice has %d notifications after unfollowing, want still 1", n)
	}
	if n := len(e.must(e.do("GET", "/me/notifications", bob, nil), 200).list()); n != 2 {
		t.Errorf("bob has %d notifications, want 2", n)
	}
}
