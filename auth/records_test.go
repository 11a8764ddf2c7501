package auth

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// TestRedisRecordsGrantNoRole shows that whoever can write to Redis cannot
// make themselves admin: a ticket, login link or refresh family names a
// user and nothing more, sealed with the server's key, and what the user
// may do is read from Postgres when it is used.
func TestRedisRecordsGrantNoRole(t *testing.T) {
	e := newEnv(t, true, nil)
	ctx := ctxT(t)
	bob := e.makeUser(t, "bob", RoleBidder)
	root := e.makeUser(t, "root", RoleAdmin)

	adminTicket := mustTicket(t, e, e.svc.principalOf(root))
	adminValue := e.rdb.Get(ctx, e.svc.ticketKey(adminTicket)).Val()
	forgeries := map[string]string{
		"role claimed in a blob": `{"u":"` + bob.ID + `","n":"bob","r":"admin"}`,
		"admin's id in the open": root.ID,
		"admin's id, bad seal":   "v1." + root.ID + ".0.AAAA",
		"admin's sealed value":   adminValue, // copied from another ticket's key
	}
	for name, forged := range forgeries {
		t.Run("ticket/"+name, func(t *testing.T) {
			tk := mustTicket(t, e, e.svc.principalOf(bob))
			if err := e.rdb.Set(ctx, e.svc.ticketKey(tk), forged, 0).Err(); err != nil {
				t.Fatal(err)
			}
			p, err := e.svc.RedeemTicket(ctx, tk)
			if p.IsAdmin() || !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("forged ticket redeemed as %+v, %v", p, err)
			}
		})
		t.Run("login link/"+name, func(t *testing.T) {
			token := loginLinkPrefix + randomToken(32)
			if err := e.rdb.Set(ctx, e.svc.loginLinkKey(token), forged, 0).Err(); err != nil {
				t.Fatal(err)
			}
			resp := do(t, newClient(t), "GET", e.serve(t).URL+"/auth/link/"+token, "")
			if resp.StatusCode != http.StatusUnauthorized || cookieValue(resp, AccessCookie) != "" {
				t.Fatalf("forged login link: status %d", resp.StatusCode)
			}
		})
		t.Run("refresh family/"+name, func(t *testing.T) {
			family := randomToken(16)
			token := refreshPrefix + family + "." + randomToken(32)
			keys := e.svc.familyKeys(family)
			if err := e.rdb.HSet(ctx, keys[0], "user", forged, "cur", hashToken(token), "revoked", "0").Err(); err != nil {
				t.Fatal(err)
			}
			p, _, err := e.svc.refresh(ctx, token)
			if p.IsAdmin() || !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("forged refresh family gave %+v, %v", p, err)
			}
		})
	}
}

// TestRedeemReadsPostgres shows that a ticket redeemed after its user
// changed answers with the user as they are now, not as they were when it
// was issued.
func TestRedeemReadsPostgres(t *testing.T) {
	e := newEnv(t, true, nil)
	ctx := ctxT(t)

	sara := e.makeUser(t, "sara", RoleSeller)
	tk := mustTicket(t, e, e.svc.principalOf(sara))
	if _, err := e.users.SetRole(ctx, sara.ID, RoleBidder); err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.RedeemTicket(ctx, tk)
	if err != nil || p.UserID != sara.ID || p.Role != RoleBidder || p.CanSell() {
		t.Fatalf("demoted seller redeemed as %+v, %v", p, err)
	}

	// A user removed from Postgres (the one way to shut an account out
	// everywhere) cannot redeem a ticket or a login link issued before.
	gone := e.makeUser(t, "gone", RoleAdmin)
	tk = mustTicket(t, e, e.svc.principalOf(gone))
	link, err := e.svc.IssueLoginLink(ctx, gone.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Pool.Exec(ctx, `DELETE FROM users WHERE id = $1`, gone.ID); err != nil {
		t.Fatal(err)
	}
	if p, err := e.svc.RedeemTicket(ctx, tk); p.UserID != "" || !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("removed user redeemed a ticket: %+v, %v", p, err)
	}
	resp := do(t, newClient(t), "GET", e.serve(t).URL+strings.TrimPrefix(link, e.cfg.PublicURL), "")
	if resp.StatusCode != http.StatusUnauthorized || cookieValue(resp, AccessCookie) != "" {
		t.Fatalf("removed user redeemed a login link: status %d", resp.StatusCode)
	}
}
