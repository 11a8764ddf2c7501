package auth

import (
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestSecretsStayOutOfLogs runs logins (good and failing), refreshes, a
// reuse, tickets and logout with debug logging, then searches the log for
// every secret involved.
func TestSecretsStayOutOfLogs(t *testing.T) {
	o := newOAuthEnv(t, nil)
	var secrets []string
	jar := func(c *http.Client, name string) string {
		u, _ := url.Parse(o.app.URL + "/auth/refresh")
		if strings.HasPrefix(name, stateCookiePrefix) {
			u, _ = url.Parse(o.app.URL + "/auth/callback/oidc")
		}
		for _, ck := range c.Jar.Cookies(u) {
			if ck.Name == name {
				return ck.Value
			}
		}
		return ""
	}

	b := newClient(t)
	cb := o.startLogin(t, b, "/")
	cbURL, _ := url.Parse(cb)
	secrets = append(secrets, cbURL.Query().Get("code"), cbURL.Query().Get("state"), jar(b, stateCookiePrefix+"oidc"))
	follow(t, b, cb, http.StatusSeeOther)
	secrets = append(secrets, jar(b, AccessCookie), jar(b, RefreshCookie))

	// A failing exchange: the provider's error is logged, our secret not.
	b2 := newClient(t)
	bad, _ := url.Parse(o.startLogin(t, b2, "/"))
	q := bad.Query()
	q.Set("code", "wrong-code")
	bad.RawQuery = q.Encode()
	follow(t, b2, bad.String(), http.StatusBadGateway)

	old := jar(b, RefreshCookie)
	follow(t, b, o.app.URL+"/auth/me", http.StatusOK)
	if resp := do(t, b, "POST", o.app.URL+"/auth/refresh", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("refresh: %d", resp.StatusCode)
	}
	secrets = append(secrets, jar(b, RefreshCookie), jar(b, AccessCookie))
	resp := do(t, b, "POST", o.app.URL+"/auth/ticket", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ticket: %d", resp.StatusCode)
	}
	do(t, newClient(t), "POST", o.app.URL+"/auth/refresh", "", "Cookie", RefreshCookie+"="+old) // reuse
	do(t, b, "POST", o.app.URL+"/auth/logout", "")

	logs := o.logs.String()
	if !strings.Contains(logs, "signed in") || !strings.Contains(logs, "provider_error") {
		t.Fatalf("the flow did not log what it should; log:\n%s", logs)
	}
	secrets = append(secrets, o.idp.secret, string(o.cfg.JWTKey), base64.StdEncoding.EncodeToString(o.cfg.JWTKey),
		string(o.svc.cfg.CookieHashKey), string(o.svc.cfg.CookieBlockKey), "idp-access-")
	for _, s := range secrets {
		if s == "" {
			t.Fatal("a secret to look for is empty: the test lost track of it")
		}
		if strings.Contains(logs, s) {
			t.Errorf("log contains a secret %.8q...", s)
		}
	}
}

// TestConfigValidation checks that Validate's messages name the variable
// at fault without echoing secret values.
func TestConfigValidation(t *testing.T) {
	base := map[string]string{"PUBLIC_URL": "https://auction.example",
		"AUTH_JWT_KEY":          base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32))),
		"AUTH_COOKIE_HASH_KEY":  base64.StdEncoding.EncodeToString([]byte(strings.Repeat("h", 32))),
		"AUTH_COOKIE_BLOCK_KEY": base64.StdEncoding.EncodeToString([]byte(strings.Repeat("b", 32)))}
	cases := []struct {
		name string
		set  map[string]string
		want string // substring of the error; empty means valid
	}{
		{"complete", nil, ""},
		{"github id without secret", map[string]string{"AUTH_GITHUB_CLIENT_ID": "abc"}, "AUTH_GITHUB_CLIENT_SECRET is empty"},
		{"google secret without id", map[string]string{"AUTH_GOOGLE_CLIENT_SECRET": "hush-hush"}, "AUTH_GOOGLE_CLIENT_ID is empty"},
		{"apple id alone", map[string]string{"AUTH_APPLE_CLIENT_ID": "com.example"}, "AUTH_APPLE_TEAM_ID"},
		{"oidc without discovery", map[string]string{"AUTH_OIDC_CLIENT_ID": "a", "AUTH_OIDC_CLIENT_SECRET": "b"}, "AUTH_OIDC_DISCOVERY_URL"},
		{"short jwt key", map[string]string{"AUTH_JWT_KEY": base64.StdEncoding.EncodeToString([]byte("short"))}, "at least 32 bytes"},
		{"missing keys in production", map[string]string{"AUTH_JWT_KEY": "", "AUTH_COOKIE_HASH_KEY": ""}, "AUTH_JWT_KEY is required"},
		{"missing keys in development", map[string]string{"PUBLIC_URL": "http://127.0.0.1:8080", "AUTH_JWT_KEY": "",
			"AUTH_COOKIE_HASH_KEY": "", "AUTH_COOKIE_BLOCK_KEY": ""}, ""},
		{"plain http in public", map[string]string{"PUBLIC_URL": "http://auction.example"}, "plain http"},
		{"not base64", map[string]string{"AUTH_JWT_KEY": "%%%not-base64-secret%%%"}, "AUTH_JWT_KEY is not valid base64"},
		{"bad flag", map[string]string{"AUTH_SELLER_AUTO_APPROVE": "sometimes"}, "AUTH_SELLER_AUTO_APPROVE"},
		{"bad origin", map[string]string{"AUTH_TRUSTED_ORIGINS": "https://ok.example, nope"}, "nope"},
		{"removed client-IP header", map[string]string{"AUTH_CLIENT_IP_HEADER": "X-Real-IP"}, "TRUSTED_PROXIES"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tc.set {
				env[k] = v
			}
			cfg, err := ConfigFromEnv(func(k string) string { return env[k] })
			if err == nil {
				err = cfg.Validate()
			}
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error = %v, want it to mention %q", err, tc.want)
			case err != nil && (strings.Contains(err.Error(), "hush-hush") || strings.Contains(err.Error(), "not-base64-secret")):
				t.Fatalf("error echoes a secret: %v", err)
			}
		})
	}
	cfg, err := ConfigFromEnv(func(k string) string {
		return map[string]string{"AUTH_SELLER_AUTO_APPROVE": "1",
			"AUTH_GITHUB_CLIENT_ID": "id", "AUTH_GITHUB_CLIENT_SECRET": "sec", "AUTH_ACCESS_TTL": "5m"}[k]
	})
	if err != nil || !cfg.SellerAutoApprove || cfg.Providers.GitHub.ClientSecret != "sec" ||
		cfg.AccessTTL.Minutes() != 5 {
		t.Fatalf("ConfigFromEnv = %+v, %v", cfg, err)
	}
}

// TestLoginLinkTokenStaysOutOfLogs fails login links (Redis down: 503;
// unknown: 401) with debug logging and searches the log for the token,
// which travels in the request path: the log names the route pattern.
func TestLoginLinkTokenStaysOutOfLogs(t *testing.T) {
	for _, tc := range []struct {
		name      string
		redisDown bool
		status    int
	}{
		{"redis down", true, http.StatusServiceUnavailable},
		{"unknown link", false, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, false, nil)
			if tc.redisDown {
				dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
				t.Cleanup(func() { dead.Close() })
				log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
				svc, err := NewService(e.cfg, nil, dead, log)
				if err != nil {
					t.Fatal(err)
				}
				e.svc = svc
			}
			token := loginLinkPrefix + randomToken(32)
			resp := do(t, newClient(t), "GET", e.serve(t).URL+"/auth/link/"+token, "")
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			logs := e.logs.String()
			if !strings.Contains(logs, "/auth/link/{token}") {
				t.Errorf("the failure is not logged with its route; log:\n%s", logs)
			}
			if strings.Contains(logs, token) || strings.Contains(logs, token[:12]) {
				t.Errorf("log holds the login-link token:\n%s", logs)
			}
		})
	}
}

// TestSecureCookieWarningOnlyWhereCookiesAreServed: a command-line tool that
// builds a Service (a login link) sets no cookie, so it must not warn about
// them; the server, which mounts Routes, still does, once.
func TestSecureCookieWarningOnlyWhereCookiesAreServed(t *testing.T) {
	e := newEnv(t, false, nil) // PUBLIC_URL is plain http on loopback
	const warning = "without the Secure flag"
	if strings.Contains(e.logs.String(), warning) {
		t.Fatalf("NewService warned about cookies it does not serve:\n%s", e.logs.String())
	}
	e.svc.Routes()
	if n := strings.Count(e.logs.String(), warning); n != 1 {
		t.Fatalf("Routes logged the Secure-cookie warning %d times, want once:\n%s", n, e.logs.String())
	}
}

// TestIgnoredGuestBiddingVariableWarns: AUTH_GUESTS_MAY_BID is no longer
// read (guest bidding is a room's setting); a server that is given it says
// so once, when it serves, and a command-line tool stays quiet.
func TestIgnoredGuestBiddingVariableWarns(t *testing.T) {
	fromEnv, err := ConfigFromEnv(func(k string) string {
		return map[string]string{"AUTH_GUESTS_MAY_BID": "true"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, false, func(c *Config) { c.guestsMayBidIgnored = fromEnv.guestsMayBidIgnored })
	const warning = "AUTH_GUESTS_MAY_BID is no longer read"
	if strings.Contains(e.logs.String(), warning) {
		t.Fatalf("NewService warned before serving:\n%s", e.logs.String())
	}
	e.svc.Routes()
	e.svc.Routes()
	if n := strings.Count(e.logs.String(), warning); n != 1 {
		t.Fatalf("the warning was logged %d times, want once:\n%s", n, e.logs.String())
	}
}
