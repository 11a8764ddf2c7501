package auth

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// guestLogin signs a browser in as a guest and returns the session body.
func guestLogin(t *testing.T, c *http.Client, base, name string) sessionBody {
	t.Helper()
	resp := do(t, c, "POST", base+"/auth/guest", `{"display_name":`+jsonString(name)+`}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("guest login: status %d, code %s", resp.StatusCode, errCode(t, resp))
	}
	var b sessionBody
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		t.Fatal(err)
	}
	return b
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// refreshCookie reads the refresh cookie the jar holds for base.
func refreshCookie(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	req := httptest.NewRequest("POST", base+"/auth/refresh", nil)
	for _, ck := range c.Jar.Cookies(req.URL) {
		if ck.Name == RefreshCookie {
			return ck.Value
		}
	}
	return ""
}

// TestRefreshRotationAndReuse walks a session through rotations, then
// replays a retired refresh token: the whole family must die, including
// the newest token the rightful browser holds.
func TestRefreshRotationAndReuse(t *testing.T) {
	e := newEnv(t, true, nil)
	ts := e.serve(t)
	browser := newClient(t)
	first := guestLogin(t, browser, ts.URL, "Ann")
	if !first.User.Guest || first.User.Role != RoleBidder || first.AccessToken == "" {
		t.Fatalf("guest session = %+v", first)
	}
	rt1 := refreshCookie(t, browser, ts.URL)
	if rt1 == "" {
		t.Fatal("no refresh cookie")
	}

	resp := do(t, browser, "POST", ts.URL+"/auth/refresh", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh: status %d %s", resp.StatusCode, errCode(t, resp))
	}
	rt2 := refreshCookie(t, browser, ts.URL)
	if rt2 == "" || rt2 == rt1 {
		t.Fatal("refresh did not rotate the token")
	}
	me := do(t, browser, "GET", ts.URL+"/auth/me", "")
	if me.StatusCode != http.StatusOK {
		t.Fatalf("me after refresh: %d", me.StatusCode)
	}

	// A thief replays the first token.
	thief := newClient(t)
	resp = do(t, thief, "POST", ts.URL+"/auth/refresh", "", "Cookie", RefreshCookie+"="+rt1)
	if resp.StatusCode != http.StatusUnauthorized || errCode(t, resp) != "token_reused" {
		t.Fatalf("replayed refresh token: status %d", resp.StatusCode)
	}
	// The rightful browser's current token is now dead too.
	resp = do(t, browser, "POST", ts.URL+"/auth/refresh", "")
	if resp.StatusCode != http.StatusUnauthorized || errCode(t, resp) != "token_reused" {
		t.Fatalf("refresh after family revocation: status %d", resp.StatusCode)
	}
	if !strings.Contains(e.logs.String(), "session family is revoked") {
		t.Fatal("reuse was not logged")
	}
}

func TestRefreshRejectsForgedAndLoggedOut(t *testing.T) {
	e := newEnv(t, true, nil)
	ts := e.serve(t)
	browser := newClient(t)
	guestLogin(t, browser, ts.URL, "Bo")
	rt := refreshCookie(t, browser, ts.URL)
	family, _ := splitRefresh(rt)

	for name, tok := range map[string]string{
		"garbage":          "xyz",
		"forged secret":    refreshPrefix + family + "." + randomToken(32),
		"unknown family":   refreshPrefix + randomToken(16) + "." + randomToken(32),
		"access token":     "eyJhbGciOiJIUzI1NiJ9.e30.x",
		"empty secret":     refreshPrefix + family + ".",
		"injection family": refreshPrefix + "aaaaaaaaaaaaaaaa}*." + randomToken(32),
	} {
		resp := do(t, newClient(t), "POST", ts.URL+"/auth/refresh", "", "Cookie", RefreshCookie+"="+tok)
		if resp.StatusCode != http.StatusUnauthorized || errCode(t, resp) != "invalid_token" {
			t.Errorf("%s: status %d", name, resp.StatusCode)
		}
	}
	// A forged token must not have revoked the real family.
	resp := do(t, browser, "POST", ts.URL+"/auth/refresh", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh after forgeries: %d", resp.StatusCode)
	}
	rt = refreshCookie(t, browser, ts.URL)
	resp = do(t, browser, "POST", ts.URL+"/auth/logout", "")
	if resp.StatusCode != http.StatusNoContent || cookieValue(resp, AccessCookie) != "" {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	resp = do(t, newClient(t), "POST", ts.URL+"/auth/refresh", "", "Cookie", RefreshCookie+"="+rt)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("refresh after logout: %d", resp.StatusCode)
	}
}

func TestAccessTokenExpires(t *testing.T) {
	now := time.Now()
	e := newEnv(t, false, func(c *Config) { c.Now = func() time.Time { return now } })
	tok, err := e.svc.jwt.issueAccess(Principal{UserID: "u", Role: RoleBidder}, e.svc.cfg.AccessTTL)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(e.svc.cfg.AccessTTL + time.Minute)
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	if _, err := e.svc.Authenticate(r); !errors.Is(err, ErrTokenExpired) || codeOf(err) != "token_expired" {
		t.Fatalf("expired token: %v", err)
	}
}

func TestCrossOriginPostRejected(t *testing.T) {
	e := newEnv(t, true, func(c *Config) { c.TrustedOrigins = []string{"https://shop.example"} })
	ts := e.serve(t)
	cases := []struct {
		name string
		hdr  []string
		want int
	}{
		{"cross-site fetch", []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, http.StatusForbidden},
		{"same-site other origin", []string{"Sec-Fetch-Site", "same-site", "Origin", "http://sub.127.0.0.1:8080"}, http.StatusForbidden},
		{"old browser, foreign Origin", []string{"Sec-Fetch-Site", "", "Origin", "https://evil.example"}, http.StatusForbidden},
		{"trusted origin", []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://shop.example"}, http.StatusOK},
		{"same origin", []string{"Sec-Fetch-Site", "same-origin"}, http.StatusOK},
		{"non-browser", []string{"Sec-Fetch-Site", ""}, http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := do(t, newClient(t), "POST", ts.URL+"/auth/guest", `{"display_name":"Cy"}`, tc.hdr...)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
			if tc.want == http.StatusForbidden {
				if code := errCode(t, resp); code != "cross_origin" {
					t.Fatalf("code %q", code)
				}
				if cookieValue(resp, AccessCookie) != "" {
					t.Fatal("a refused request got a session")
				}
			}
		})
	}
	// The middleware protects other handlers the same way.
	h := e.svc.CSRF(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
	r := httptest.NewRequest("POST", "/api/v1/bids", nil)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden {
		t.Fatalf("CSRF middleware let a cross-site POST through: %d", w.Code)
	}
}

func TestTicketsAreSingleUse(t *testing.T) {
	now := time.Now()
	e := newEnv(t, true, func(c *Config) { c.Now = func() time.Time { return now } })
	ctx := ctxT(t)
	p, _, err := e.svc.guestLogin(ctx, "Di")
	if err != nil {
		t.Fatal(err)
	}
	tk, err := e.svc.IssueTicket(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.RedeemTicket(ctx, tk)
	if err != nil || got.UserID != p.UserID || !got.Guest || got.DisplayName != "Di" {
		t.Fatalf("redeem = %+v, %v", got, err)
	}
	if _, err := e.svc.RedeemTicket(ctx, tk); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("second redeem: %v", err)
	}
	for _, bad := range []string{"", "wst_nope", "x", strings.Repeat("w", 500)} {
		if _, err := e.svc.RedeemTicket(ctx, bad); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("redeem %q: %v", bad, err)
		}
	}
	if _, err := e.svc.IssueTicket(ctx, Principal{}); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("anonymous ticket: %v", err)
	}
	// Expiry is Redis's: the key carries the TTL.
	ttl := e.rdb.TTL(ctx, e.svc.ticketKey(mustTicket(t, e, p))).Val()
	if ttl <= 0 || ttl > 30*time.Second {
		t.Fatalf("ticket TTL = %v", ttl)
	}
}

func mustTicket(t *testing.T, e *env, p Principal) string {
	tk, err := e.svc.IssueTicket(ctxT(t), p)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}
