package auth

import (
	"net/http"
	"strings"
	"testing"
)

func TestLoginLink(t *testing.T) {
	e := newEnv(t, true, nil)
	ts := e.serve(t)
	seller := e.makeUser(t, "sara", RoleSeller)
	link, err := e.svc.IssueLoginLink(ctxT(t), seller.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, e.cfg.PublicURL+"/auth/link/ll_") {
		t.Fatalf("link %q", link)
	}
	path := strings.TrimPrefix(link, e.cfg.PublicURL)

	c := newClient(t)
	resp := do(t, c, "GET", ts.URL+path+"?return_to=/studio", "")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/studio" {
		t.Fatalf("redeem: status %d location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	access := cookieValue(resp, AccessCookie)
	if access == "" {
		t.Fatal("no session cookie")
	}
	req, _ := http.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	p, err := e.svc.Authenticate(req)
	if err != nil || p.UserID != seller.ID || !p.CanSell() {
		t.Fatalf("session: %+v %v", p, err)
	}

	// Single use, and bad tokens change nothing.
	for name, url := range map[string]string{
		"reused":    ts.URL + path,
		"unknown":   ts.URL + "/auth/link/ll_nope",
		"malformed": ts.URL + "/auth/link/xyz",
	} {
		resp := do(t, newClient(t), "GET", url, "")
		if resp.StatusCode != http.StatusUnauthorized || cookieValue(resp, AccessCookie) != "" {
			t.Errorf("%s: status %d", name, resp.StatusCode)
		}
	}

	// Guests and unknown users get no link.
	if _, err := e.svc.IssueLoginLink(ctxT(t), "00000000-0000-0000-0000-000000000000"); err == nil {
		t.Error("link for an unknown user")
	}
	g, _, err := e.svc.guestLogin(ctxT(t), "gus")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.IssueLoginLink(ctxT(t), g.UserID); err == nil {
		t.Error("link for a guest")
	}
}
