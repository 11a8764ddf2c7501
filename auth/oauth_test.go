package auth

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/markbates/goth/providers/github"
)

// oauthEnv is a Service with the fake OIDC provider enabled, served at the
// address its PublicURL names, so redirects go where a browser's would.
type oauthEnv struct {
	*env
	idp *fakeIDP
	app *httptest.Server
}

func newOAuthEnv(t *testing.T, mod func(*Config)) *oauthEnv {
	idp := newFakeIDP(t)
	var h http.Handler = http.NotFoundHandler()
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(app.Close)
	e := newEnv(t, true, func(c *Config) {
		c.PublicURL = app.URL
		c.Providers.OIDC = OIDCConfig{ProviderConfig: ProviderConfig{ClientID: idp.id, ClientSecret: idp.secret},
			DiscoveryURL: idp.discoveryURL(), Label: "Example SSO"}
		if mod != nil {
			mod(c)
		}
	})
	h = e.svc.Routes()
	return &oauthEnv{env: e, idp: idp, app: app}
}

// startLogin begins a login and returns the provider's redirect back to us
// (the callback URL with code and state), with the state cookie in the jar.
func (o *oauthEnv) startLogin(t *testing.T, c *http.Client, returnTo string) string {
	t.Helper()
	resp := follow(t, c, o.app.URL+"/auth/login/oidc?return_to="+url.QueryEscape(returnTo), http.StatusFound)
	toIDP := resp.Header.Get("Location")
	if !strings.HasPrefix(toIDP, o.idp.srv.URL+"/authorize?") {
		t.Fatalf("login redirected to %q", toIDP)
	}
	q, _ := url.Parse(toIDP)
	if q.Query().Get("code_challenge_method") != "S256" || len(q.Query().Get("state")) < 40 {
		t.Fatalf("authorization request lacks PKCE or a strong state: %v", q.Query())
	}
	resp = follow(t, c, toIDP, http.StatusFound)
	return resp.Header.Get("Location")
}

func TestOIDCLoginFlow(t *testing.T) {
	o := newOAuthEnv(t, nil)
	browser := newClient(t)

	resp := follow(t, browser, o.app.URL+"/auth/providers", http.StatusOK)
	var list struct{ Providers []ProviderInfo }
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	if len(list.Providers) != 1 || list.Providers[0].Name != "oidc" || list.Providers[0].Label != "Example SSO" {
		t.Fatalf("providers = %+v", list.Providers)
	}
	if got := o.svc.EnabledProviders(); len(got) != 1 {
		t.Fatalf("EnabledProviders = %+v", got)
	}

	callback := o.startLogin(t, browser, "/rooms/42")
	if !strings.HasPrefix(callback, o.app.URL+"/auth/callback/oidc?") {
		t.Fatalf("provider redirected to %q", callback)
	}
	resp = follow(t, browser, callback, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); loc != "/rooms/42" {
		t.Fatalf("landed on %q", loc)
	}
	if o.idp.lastExchange.Get("code_verifier") == "" {
		t.Fatal("token exchange without PKCE verifier")
	}
	for _, c := range resp.Cookies() {
		if (c.Name == AccessCookie || c.Name == RefreshCookie) && (!c.HttpOnly || c.SameSite != http.SameSiteLaxMode) {
			t.Fatalf("cookie %s lacks HttpOnly or SameSite=Lax: %+v", c.Name, c)
		}
	}
	resp = follow(t, browser, o.app.URL+"/auth/me", http.StatusOK)
	var me struct{ User Principal }
	if err := json.NewDecoder(resp.Body).Decode(&me); err != nil {
		t.Fatal(err)
	}
	if me.User.DisplayName != "Ann Example" || me.User.Role != RoleBidder || me.User.Guest {
		t.Fatalf("me = %+v", me.User)
	}
	u, err := o.users.GetByIdentity(ctxT(t), "oidc", "idp-user-1")
	if err != nil || u.ID != me.User.UserID || u.Email != "ann@example.com" {
		t.Fatalf("stored user = %+v, %v", u, err)
	}

	// Replaying the callback URL (the state is spent) fails, in the same
	// browser and in another one.
	resp = follow(t, browser, callback, http.StatusBadRequest)
	if code := errCode(t, resp); code != "invalid_state" {
		t.Fatalf("replayed callback: %s", code)
	}

	// Signing in again finds the same user.
	resp = follow(t, browser, o.startLogin(t, browser, ""), http.StatusSeeOther)
	if resp.Header.Get("Location") != "/" {
		t.Fatalf("default landing = %q", resp.Header.Get("Location"))
	}
}

// TestOAuthStateChecks tries every way a callback's state can be wrong.
func TestOAuthStateChecks(t *testing.T) {
	o := newOAuthEnv(t, nil)
	stateCookie := stateCookiePrefix + "oidc"
	jarCookie := func(c *http.Client) string {
		u, _ := url.Parse(o.app.URL + "/auth/callback/oidc")
		for _, ck := range c.Jar.Cookies(u) {
			if ck.Name == stateCookie {
				return ck.Value
			}
		}
		return ""
	}
	withParam := func(raw, key, val string) string {
		u, _ := url.Parse(raw)
		q := u.Query()
		q.Set(key, val)
		u.RawQuery = q.Encode()
		return u.String()
	}
	cases := []struct {
		name string
		run  func(t *testing.T) *http.Response
	}{
		{"state mismatch", func(t *testing.T) *http.Response {
			b := newClient(t)
			cb := o.startLogin(t, b, "")
			return do(t, b, "GET", withParam(cb, "state", randomToken(32)), "")
		}},
		{"state from the request only (no cookie)", func(t *testing.T) *http.Response {
			cb := o.startLogin(t, newClient(t), "")
			return do(t, newClient(t), "GET", cb, "")
		}},
		{"empty state", func(t *testing.T) *http.Response {
			b := newClient(t)
			cb := o.startLogin(t, b, "")
			return do(t, b, "GET", withParam(cb, "state", ""), "")
		}},
		{"forged cookie", func(t *testing.T) *http.Response {
			cb := o.startLogin(t, newClient(t), "")
			u, _ := url.Parse(cb)
			forged := base64.URLEncoding.EncodeToString([]byte(`{"s":"` + u.Query().Get("state") + `","p":"oidc"}`))
			return do(t, newClient(t), "GET", cb, "", "Cookie", stateCookie+"="+forged)
		}},
		{"replay with a saved cookie", func(t *testing.T) *http.Response {
			b := newClient(t)
			cb := o.startLogin(t, b, "")
			saved := jarCookie(b)
			follow(t, b, cb, http.StatusSeeOther)
			return do(t, newClient(t), "GET", cb, "", "Cookie", stateCookie+"="+saved)
		}},
		{"cookie of another login", func(t *testing.T) *http.Response {
			b := newClient(t)
			o.startLogin(t, b, "")
			saved := jarCookie(b)
			second := o.startLogin(t, newClient(t), "")
			return do(t, newClient(t), "GET", second, "", "Cookie", stateCookie+"="+saved)
		}},
		{"unknown provider", func(t *testing.T) *http.Response {
			return do(t, newClient(t), "GET", o.app.URL+"/auth/login/myspace", "")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := tc.run(t)
			if resp.StatusCode == http.StatusSeeOther || cookieValue(resp, AccessCookie) != "" {
				t.Fatal("login succeeded")
			}
			if code := errCode(t, resp); code != "invalid_state" && code != "unknown_provider" {
				t.Fatalf("code %q", code)
			}
		})
	}
}

// TestAppleFormPost drives the form_post callback Apple uses: the state
// cookie must be SameSite=None and Secure, and the cross-site POST must get
// past CSRF protection (the state authenticates it) and read the name Apple
// posts on a first login. The goth provider behind "apple" is the fake
// OIDC one, since Apple's endpoints are fixed in goth.
func TestAppleFormPost(t *testing.T) {
	o := newOAuthEnv(t, nil)
	g, err := newOIDC(o.svc.cfg, o.svc.cfg.Providers.OIDC, o.app.URL+"/auth/callback/apple")
	if err != nil {
		t.Fatal(err)
	}
	g.SetName("apple")
	o.svc.providers["apple"] = &provider{info: ProviderInfo{Name: "apple", Label: "Apple"}, goth: g, formPost: true, pkce: true}

	b := newClient(t)
	resp := follow(t, b, o.app.URL+"/auth/login/apple", http.StatusFound)
	var state *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == stateCookiePrefix+"apple" {
			state = c
		}
	}
	if state == nil || state.SameSite != http.SameSiteNoneMode || !state.Secure || !state.HttpOnly {
		t.Fatalf("apple state cookie = %+v", state)
	}
	resp = follow(t, b, resp.Header.Get("Location"), http.StatusFound)
	back, _ := url.Parse(resp.Header.Get("Location"))
	form := url.Values{"code": {back.Query().Get("code")}, "state": {back.Query().Get("state")},
		"user": {`{"name":{"firstName":"Jo","lastName":"Appleseed"},"email":"jo@privaterelay.appleid.com"}`}}
	// What Safari sends when appleid.apple.com posts the form to us. The
	// jar would not send a Secure cookie over http, so it is set by hand.
	req, _ := http.NewRequest("POST", o.app.URL+"/auth/callback/apple", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://appleid.apple.com")
	req.AddCookie(&http.Cookie{Name: state.Name, Value: state.Value})
	resp, err = newClient(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || cookieValue(resp, AccessCookie) == "" {
		t.Fatalf("apple form_post callback: status %d", resp.StatusCode)
	}
	u, err := o.users.GetByIdentity(ctxT(t), "apple", "idp-user-1")
	if err != nil || u.DisplayName != "Jo Appleseed" {
		t.Fatalf("apple user = %+v, %v", u, err)
	}
}

// TestGitHubLogin runs goth's GitHub provider (plain OAuth2, no PKCE, a
// numeric user ID from its /user API) against the fake provider's
// endpoints.
func TestGitHubLogin(t *testing.T) {
	o := newOAuthEnv(t, nil)
	g := github.NewCustomisedURL(o.idp.id, o.idp.secret, o.app.URL+"/auth/callback/github",
		o.idp.srv.URL+"/authorize", o.idp.srv.URL+"/token", o.idp.srv.URL+"/user", o.idp.srv.URL+"/emails")
	g.HTTPClient = o.svc.cfg.HTTPClient
	o.svc.providers["github"] = &provider{info: ProviderInfo{Name: "github", Label: "GitHub"}, goth: g}

	b := newClient(t)
	resp := follow(t, b, o.app.URL+"/auth/login/github", http.StatusFound)
	resp = follow(t, b, resp.Header.Get("Location"), http.StatusFound)
	follow(t, b, resp.Header.Get("Location"), http.StatusSeeOther)
	u, err := o.users.GetByIdentity(ctxT(t), "github", "4242")
	if err != nil || u.DisplayName != "Ann Example" {
		t.Fatalf("github user = %+v, %v", u, err)
	}
}
