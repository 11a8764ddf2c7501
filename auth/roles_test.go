package auth

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/bidcast/bidcast/storage"
)

func TestRoomPermissions(t *testing.T) {
	room := Room{ID: "r1", SellerID: "seller"}
	guestRoom := Room{ID: "r2", SellerID: "seller", GuestsMayBid: true}
	var (
		anon    = Principal{}
		guest   = Principal{UserID: "g", Role: RoleBidder, Guest: true}
		bidder  = Principal{UserID: "b", Role: RoleBidder}
		seller  = Principal{UserID: "seller", Role: RoleSeller}
		demoted = Principal{UserID: "seller", Role: RoleBidder}
		other   = Principal{UserID: "other", Role: RoleSeller}
		admin   = Principal{UserID: "a", Role: RoleAdmin}
	)
	type check func(Principal) error
	bid := func(p Principal) error { return p.CanBid(room) }
	bidInGuestRoom := func(p Principal) error { return p.CanBid(guestRoom) }
	chat := func(p Principal) error { return p.CanChat(room) }
	cmd := func(p Principal) error { return p.CanCommand(room) }
	mod := func(p Principal) error { return p.CanModerate(room) }
	cases := []struct {
		name string
		do   check
		p    Principal
		want error
	}{
		{"anonymous bids", bid, anon, ErrUnauthorized},
		{"guest bids by default", bid, guest, ErrGuestsMayNotBid},
		{"guest bids by default (forbidden)", bid, guest, ErrForbidden},
		{"guest bids in a room that takes guests", bidInGuestRoom, guest, nil},
		{"seller bids in own room that takes guests", bidInGuestRoom, seller, ErrForbidden},
		{"anonymous bids in a room that takes guests", bidInGuestRoom, anon, ErrUnauthorized},
		{"bidder bids", bid, bidder, nil},
		{"seller bids in own room", bid, seller, ErrForbidden},
		{"other seller bids", bid, other, nil},
		{"admin bids", bid, admin, nil},
		{"anonymous chats", chat, anon, ErrUnauthorized},
		{"guest chats", chat, guest, nil},
		{"seller commands own room", cmd, seller, nil},
		{"demoted seller commands", cmd, demoted, ErrForbidden},
		{"other seller commands", cmd, other, ErrForbidden},
		{"bidder commands", cmd, bidder, ErrForbidden},
		{"guest commands", cmd, guest, ErrForbidden},
		{"admin commands", cmd, admin, nil},
		{"anonymous commands", cmd, anon, ErrUnauthorized},
		{"seller moderates own room", mod, seller, nil},
		{"other seller moderates", mod, other, ErrForbidden},
		{"admin moderates", mod, admin, nil},
		{"guest moderates", mod, guest, ErrForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do(tc.p)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if (Principal{UserID: "g", Role: RoleAdmin, Guest: true}).IsAdmin() {
		t.Fatal("a guest counted as admin")
	}
}

// TestGuestBiddingFollowsRoom signs a guest in over HTTP: the Principal
// that Authenticate returns may bid where the room takes guest bids and
// nowhere else; no server setting changes that.
func TestGuestBiddingFollowsRoom(t *testing.T) {
	e := newEnv(t, true, nil)
	ts := e.serve(t)
	s := guestLogin(t, newClient(t), ts.URL, "Eve")
	req, _ := http.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer "+s.AccessToken)
	p, err := e.svc.Authenticate(req)
	if err != nil || !p.Guest {
		t.Fatalf("authenticate guest: %+v %v", p, err)
	}
	for _, allowed := range []bool{false, true} {
		err = p.CanBid(Room{ID: "r", SellerID: "someone", GuestsMayBid: allowed})
		if allowed != (err == nil) || !allowed && codeOf(err) != "forbidden" {
			t.Fatalf("room GuestsMayBid=%v: CanBid = %v (code %s)", allowed, err, codeOf(err))
		}
	}
}

func TestValidateDisplayName(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"Ann", "Ann", true},
		{"  Ann  ", "Ann", true},
		{"김민수", "김민수", true},
		{strings.Repeat("가", 32), strings.Repeat("가", 32), true},
		{strings.Repeat("a", 33), "", false},
		{"", "", false},
		{"   ", "", false},
		{"a\x00b", "", false},
		{"a\nb", "", false},
		{"a\u202eb", "", false},  // right-to-left override
		{"a\u200bb", "", false},  // zero-width space
		{"a\u2067b", "", false},  // right-to-left isolate
		{"a\u200db", "", false},  // zero-width joiner between letters
		{"\ufeffAnn", "", false}, // byte order mark
		{"Ann 👨\u200d👩\u200d👧", "Ann 👨\u200d👩\u200d👧", true}, // joiner inside an emoji sequence
		{"\xff\xfe", "", false},
	}
	for _, tc := range cases {
		got, err := ValidateDisplayName(tc.in)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("ValidateDisplayName(%q) = %q, %v", tc.in, got, err)
		}
	}
}

func TestGuestLoginRejectsBadNames(t *testing.T) {
	e := newEnv(t, true, nil)
	ts := e.serve(t)
	for _, body := range []string{`{"display_name":""}`, `{"display_name":"a\u0007"}`, `{"name":"x"}`, `not json`} {
		resp := do(t, newClient(t), "POST", ts.URL+"/auth/guest", body)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d", body, resp.StatusCode)
		}
	}
}

func TestCanPublish(t *testing.T) {
	e := newEnv(t, true, nil)
	ctx := ctxT(t)
	ann := e.makeUser(t, "ann", RoleSeller)
	bob := e.makeUser(t, "bob", RoleSeller)
	cy := e.makeUser(t, "cy", RoleBidder)
	admin := e.makeUser(t, "root", RoleAdmin)
	room, token, err := e.rooms.Create(ctx, storage.NewRoom{SellerID: ann.ID, Title: "Ann's show"})
	if err != nil {
		t.Fatal(err)
	}
	_, bobToken, err := e.rooms.Create(ctx, storage.NewRoom{SellerID: bob.ID, Title: "Bob's show"})
	if err != nil {
		t.Fatal(err)
	}
	p := e.svc.principalOf
	cases := []struct {
		name   string
		who    Principal
		bearer string
		want   error
	}{
		{"its seller", p(ann), "", nil},
		{"another seller", p(bob), "", ErrForbidden},
		{"another seller with their own room's token", p(bob), bobToken, ErrForbidden},
		{"bidder", p(cy), "", ErrForbidden},
		{"admin", p(admin), "", ErrForbidden},
		{"anonymous", Principal{}, "", ErrUnauthorized},
		{"publish token (WHIP)", Principal{}, token, nil},
		{"wrong token", Principal{}, "pt_wrong", ErrForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := e.svc.CanPublish(ctx, tc.who, room.ID, tc.bearer)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if err := e.svc.CanPublish(ctx, p(ann), "00000000-0000-0000-0000-000000000000", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown room: %v", err)
	}
	if _, err := e.rooms.RotatePublishToken(ctx, room.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.CanPublish(ctx, Principal{}, room.ID, token); !errors.Is(err, ErrForbidden) {
		t.Fatalf("rotated-out token still publishes: %v", err)
	}
}

func TestSellerApplicationAndAdmin(t *testing.T) {
	e := newEnv(t, true, nil)
	ts := e.serve(t)
	ctx := ctxT(t)
	ann := e.makeUser(t, "ann", RoleBidder)
	root := e.makeUser(t, "root", RoleBidder)
	bearer := func(u storage.User) string {
		u, err := e.users.Get(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := e.svc.jwt.issueAccess(e.svc.principalOf(u), e.svc.cfg.AccessTTL)
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + tok
	}
	approve := `{"user_id":"` + ann.ID + `"}`
	if resp := do(t, newClient(t), "POST", ts.URL+"/auth/seller/approve", approve, "Authorization", bearer(root)); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("non-admin approved: %d", resp.StatusCode)
	}
	if _, err := PromoteAdmin(ctx, e.users, "test:root"); err != nil {
		t.Fatal(err)
	}
	if resp := do(t, newClient(t), "POST", ts.URL+"/auth/seller/approve", approve, "Authorization", bearer(root)); resp.StatusCode != http.StatusConflict || errCode(t, resp) != "not_applied" {
		t.Fatalf("approved without application: %d", resp.StatusCode)
	}
	if resp := do(t, newClient(t), "POST", ts.URL+"/auth/seller/apply", "", "Authorization", bearer(ann)); resp.StatusCode != http.StatusOK {
		t.Fatalf("apply: %d", resp.StatusCode)
	}
	if u, _ := e.users.Get(ctx, ann.ID); u.Role != RoleBidder || u.SellerStatus != storage.SellerApplied {
		t.Fatalf("after applying: %+v", u)
	}
	if resp := do(t, newClient(t), "POST", ts.URL+"/auth/seller/approve", approve, "Authorization", bearer(root)); resp.StatusCode != http.StatusOK {
		t.Fatalf("approve: %d %s", resp.StatusCode, errCode(t, resp))
	}
	if u, _ := e.users.Get(ctx, ann.ID); u.Role != RoleSeller {
		t.Fatalf("after approval: %+v", u)
	}
	if _, err := PromoteAdmin(ctx, e.users, "nobody:1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("promote unknown: %v", err)
	}
	if u, err := PromoteAdmin(ctx, e.users, ann.ID); err != nil || u.Role != RoleAdmin {
		t.Fatalf("promote by id: %+v %v", u, err)
	}

	auto := newEnv(t, true, func(c *Config) { c.SellerAutoApprove = true })
	dee := auto.makeUser(t, "dee", RoleBidder)
	u, err := auto.svc.applySeller(ctx, auto.svc.principalOf(dee))
	if err != nil || u.Role != RoleSeller {
		t.Fatalf("auto-approval: %+v %v", u, err)
	}
	g := auto.svc.principalOf(storage.User{ID: dee.ID, Provider: GuestProvider, Role: RoleBidder})
	if _, err := auto.svc.applySeller(ctx, g); !errors.Is(err, ErrForbidden) {
		t.Fatalf("guest applied to sell: %v", err)
	}
}
