package auth

import (
	"errors"
	"testing"
	"time"

	"github.com/bidcast/bidcast/internal/accessnotice"
	"github.com/bidcast/bidcast/storage"
)

// TestLoadPrincipalReadsRoleAndBan: what a connection reloads is the
// stored role and ban, not what its token said.
func TestLoadPrincipalReadsRoleAndBan(t *testing.T) {
	e := newEnv(t, true, nil)
	ctx := ctxT(t)
	u, err := e.users.Upsert(ctx, storage.User{Provider: "test", Subject: "sel", DisplayName: "Sel"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ChangeRole(ctx, e.users, "test:sel", RoleSeller); err != nil {
		t.Fatal(err)
	}
	if p, err := e.svc.LoadPrincipal(ctx, u.ID); err != nil || !p.CanSell() {
		t.Fatalf("seller = %+v, %v", p, err)
	}
	if _, err := ChangeRole(ctx, e.users, u.ID, RoleBidder); err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.LoadPrincipal(ctx, u.ID)
	if err != nil || p.CanSell() || p.CanCommand(Room{ID: "r", SellerID: u.ID}) == nil {
		t.Fatalf("demoted seller = %+v, %v: still sells", p, err)
	}
	if err := e.users.Ban(ctx, u.ID, "fraud"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.LoadPrincipal(ctx, u.ID); !errors.Is(err, ErrBanned) {
		t.Fatalf("banned user loads with %v, want ErrBanned", err)
	}
	if err := e.users.Unban(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.LoadPrincipal(ctx, u.ID); err != nil {
		t.Fatalf("unbanned user: %v", err)
	}
	if _, err := e.svc.LoadPrincipal(ctx, "00000000-0000-0000-0000-000000000000"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	g, err := e.users.Upsert(ctx, storage.User{Provider: GuestProvider, Subject: "g", DisplayName: "g"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ChangeRole(ctx, e.users, g.ID, RoleSeller); !errors.Is(err, ErrForbidden) {
		t.Fatalf("guest made seller: %v", err)
	}
}

// TestApprovingASellerAnnouncesIt: a role granted through the Service
// reaches open connections as an access notice.
func TestApprovingASellerAnnouncesIt(t *testing.T) {
	e := newEnv(t, true, func(c *Config) { c.SellerAutoApprove = true })
	ctx := ctxT(t)
	sub := e.rdb.Subscribe(ctx, accessnotice.Channel)
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	u, err := e.users.Upsert(ctx, storage.User{Provider: "test", Subject: "ann", DisplayName: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.applySeller(ctx, e.svc.principalOf(u)); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m := <-sub.Channel():
			if n, err := accessnotice.Parse(m.Payload); err == nil && n.UserID == u.ID {
				return
			}
		case <-deadline:
			t.Fatal("no access notice for the new seller")
		}
	}
}

// TestCanViewBearer: a private room's viewer token, or the access token of
// its seller or an admin, lets a WHEP client watch; nothing else does.
func TestCanViewBearer(t *testing.T) {
	e := newEnv(t, true, nil)
	ctx := ctxT(t)
	mk := func(name, role string) Principal {
		u, err := e.users.Upsert(ctx, storage.User{Provider: "test", Subject: name, DisplayName: name})
		if err != nil {
			t.Fatal(err)
		}
		if u, err = ChangeRole(ctx, e.users, u.ID, role); err != nil {
			t.Fatal(err)
		}
		return e.svc.principalOf(u)
	}
	seller, admin, bidder := mk("s", RoleSeller), mk("a", RoleAdmin), mk("b", RoleBidder)
	room := Room{ID: "11111111-1111-1111-1111-111111111111", SellerID: seller.UserID}
	other := Room{ID: "22222222-2222-2222-2222-222222222222", SellerID: seller.UserID}
	access := func(p Principal) string {
		tok, err := e.svc.jwt.issueAccess(p, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	vt, err := e.svc.IssueViewerToken(seller, room)
	if err != nil {
		t.Fatal(err)
	}
	otherVT, err := e.svc.IssueViewerToken(seller, other)
	if err != nil {
		t.Fatal(err)
	}
	sellerTok := access(seller)
	tests := []struct {
		name, token string
		want        error
	}{
		{"no token", "", ErrUnauthorized},
		{"forged", "eyJhbGciOiJIUzI1NiJ9.e30.x", ErrForbidden},
		{"another room's viewer token", otherVT, ErrForbidden},
		{"a bidder's session", access(bidder), ErrForbidden},
		{"viewer token", vt, nil},
		{"its seller's session", sellerTok, nil},
		{"an admin's session", access(admin), nil},
	}
	for _, tc := range tests {
		err := e.svc.CanViewBearer(ctx, room, tc.token)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := e.svc.CanViewBearer(ctx, Room{ID: room.ID, Public: true}, ""); err != nil {
		t.Errorf("public room: %v", err)
	}
	// A seller demoted since the token was issued no longer gets in.
	if _, err := ChangeRole(ctx, e.users, seller.UserID, RoleBidder); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.CanViewBearer(ctx, room, sellerTok); !errors.Is(err, ErrForbidden) {
		t.Errorf("demoted seller's old session: %v", err)
	}
}
