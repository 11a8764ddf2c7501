package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fakeIDP is an OpenID Connect provider served by httptest: discovery,
// authorization (which consents at once), token exchange with PKCE and
// client-secret checks, and userinfo. It is strict where real providers
// are, so that mistakes on our side fail the exchange.
type fakeIDP struct {
	t      *testing.T
	srv    *httptest.Server
	id     string
	secret string

	mu    sync.Mutex
	codes map[string]fakeGrant // code → grant, deleted on use
	// subject and name are who "logs in" next.
	subject, name, email string
	// lastExchange holds the form of the latest token request.
	lastExchange url.Values
}

type fakeGrant struct {
	redirect, challenge string
}

func newFakeIDP(t *testing.T) *fakeIDP {
	f := &fakeIDP{t: t, id: "bidcast-client", secret: "s3cr3t-client-secret-value-42",
		codes: map[string]fakeGrant{}, subject: "idp-user-1", name: "Ann Example", email: "ann@example.com"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", f.discovery)
	mux.HandleFunc("GET /authorize", f.authorize)
	mux.HandleFunc("POST /token", f.token)
	mux.HandleFunc("GET /userinfo", f.userinfo)
	mux.HandleFunc("GET /user", f.githubUser)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIDP) discoveryURL() string { return f.srv.URL + "/.well-known/openid-configuration" }

func (f *fakeIDP) discovery(w http.ResponseWriter, _ *http.Request) {
	_ = json.NewEncoder(w).Encode(map[string]string{
		"issuer":                 f.srv.URL,
		"authorization_endpoint": f.srv.URL + "/authorize",
		"token_endpoint":         f.srv.URL + "/token",
		"userinfo_endpoint":      f.srv.URL + "/userinfo",
	})
}

// authorize consents immediately and redirects back with a code.
func (f *fakeIDP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != f.id || q.Get("response_type") != "code" || q.Get("state") == "" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	code := randomToken(12)
	f.mu.Lock()
	f.codes[code] = fakeGrant{redirect: q.Get("redirect_uri"), challenge: q.Get("code_challenge")}
	f.mu.Unlock()
	back, _ := url.Parse(q.Get("redirect_uri"))
	v := back.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token exchanges a code once, checking the client, redirect URI and PKCE.
func (f *fakeIDP) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	code := r.PostForm.Get("code")
	f.mu.Lock()
	f.lastExchange = r.PostForm
	g, found := f.codes[code]
	delete(f.codes, code)
	sub, name, email := f.subject, f.name, f.email
	f.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case id != f.id || secret != f.secret:
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
		return
	case !found || g.redirect != r.PostForm.Get("redirect_uri"),
		g.challenge != "" && g.challenge != base64.RawURLEncoding.EncodeToString(sum[:]):
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
		return
	}
	now := time.Now()
	idToken, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": f.srv.URL, "aud": f.id, "sub": sub, "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(),
		"name": name, "email": email,
	}).SignedString([]byte("idp-signing-key"))
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": "idp-access-" + sub, "token_type": "Bearer", "expires_in": 3600, "id_token": idToken,
	})
}

func (f *fakeIDP) userinfo(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	sub, name, email := f.subject, f.name, f.email
	f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer idp-access-"+sub {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]string{"sub": sub, "name": name, "email": email})
}

// githubUser answers like GitHub's /user API, whose ID is a number.
func (f *fakeIDP) githubUser(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	sub, name, email := f.subject, f.name, f.email
	f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer idp-access-"+sub {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"id": 4242, "login": "annex", "name": name, "email": email})
}

// follow GETs url with the client and returns the response; it must be a
// redirect when wantRedirect.
func follow(t *testing.T, c *http.Client, target string, wantStatus int) *http.Response {
	t.Helper()
	resp := do(t, c, "GET", target, "")
	if resp.StatusCode != wantStatus {
		t.Fatalf("GET %s: status %d, want %d", strings.SplitN(target, "?", 2)[0], resp.StatusCode, wantStatus)
	}
	return resp
}
