package auth

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/markbates/goth"
	"github.com/markbates/goth/providers/apple"
	"github.com/markbates/goth/providers/github"
	"github.com/markbates/goth/providers/google"
	"github.com/markbates/goth/providers/kakao"
	"github.com/markbates/goth/providers/naver"
	"github.com/markbates/goth/providers/openidConnect"
)

// ProviderConfig holds one OAuth2 client registration.
type ProviderConfig struct {
	// ClientID is the public identifier the provider issued.
	ClientID string
	// ClientSecret is the client's secret; never logged.
	ClientSecret string
	// Scopes replaces the default scopes when set.
	Scopes []string
}

// Enabled reports whether the provider is configured at all.
func (p ProviderConfig) Enabled() bool { return p.ClientID != "" || p.ClientSecret != "" }

// AppleConfig is Sign in with Apple. Apple's client secret is a JWT signed
// with a private key; give either a ready-made one (ClientSecret) or the
// key and its IDs, from which one valid for 180 days is made at start.
type AppleConfig struct {
	ProviderConfig
	// TeamID, KeyID and PrivateKey (PKCS#8 PEM) make the client secret.
	TeamID, KeyID, PrivateKey string
}

// OIDCConfig is any OpenID Connect provider found by discovery (Keycloak,
// Authentik, Auth0, Okta, Azure AD...).
type OIDCConfig struct {
	ProviderConfig
	// DiscoveryURL is the provider's .well-known/openid-configuration.
	DiscoveryURL string
	// Label is the button text on the login page. Zero means "OpenID Connect".
	Label string
}

// ProvidersConfig has one entry per supported identity provider.
type ProvidersConfig struct {
	Google, GitHub, Kakao, Naver ProviderConfig
	Apple                        AppleConfig
	OIDC                         OIDCConfig
}

// ProviderInfo describes an enabled provider for the login page.
type ProviderInfo struct {
	// Name is the path segment: /auth/login/{name}.
	Name string `json:"name"`
	// Label is what the button says.
	Label string `json:"label"`
	// LoginURL starts the login.
	LoginURL string `json:"login_url"`
}

// provider is an enabled identity provider.
type provider struct {
	info ProviderInfo
	goth goth.Provider
	// formPost is set for providers that answer with a cross-site POST
	// (Apple), whose state cookie must be SameSite=None.
	formPost bool
	// pkce is set for providers whose goth session forwards code_verifier
	// to the token endpoint.
	pkce bool
}

func providersFromEnv(getenv func(string) string) ProvidersConfig {
	one := func(prefix string) ProviderConfig {
		return ProviderConfig{
			ClientID:     strings.TrimSpace(getenv(prefix + "_CLIENT_ID")),
			ClientSecret: strings.TrimSpace(getenv(prefix + "_CLIENT_SECRET")),
			Scopes:       strings.FieldsFunc(getenv(prefix+"_SCOPES"), func(r rune) bool { return r == ',' || r == ' ' }),
		}
	}
	return ProvidersConfig{
		Google: one("AUTH_GOOGLE"),
		GitHub: one("AUTH_GITHUB"),
		Kakao:  one("AUTH_KAKAO"),
		Naver:  one("AUTH_NAVER"),
		Apple: AppleConfig{ProviderConfig: one("AUTH_APPLE"), TeamID: getenv("AUTH_APPLE_TEAM_ID"),
			KeyID: getenv("AUTH_APPLE_KEY_ID"), PrivateKey: getenv("AUTH_APPLE_PRIVATE_KEY")},
		OIDC: OIDCConfig{ProviderConfig: one("AUTH_OIDC"), DiscoveryURL: getenv("AUTH_OIDC_DISCOVERY_URL"),
			Label: getenv("AUTH_OIDC_LABEL")},
	}
}

// validate reports half-configured providers: a client ID without its
// secret (or the reverse) is a deployment mistake, not "disabled".
func (c ProvidersConfig) validate() []error {
	var errs []error
	pair := func(env string, p ProviderConfig, secretOptional bool) {
		switch {
		case p.ClientID == "" && p.ClientSecret != "":
			errs = append(errs, fmt.Errorf("AUTH_%s_CLIENT_SECRET is set but AUTH_%s_CLIENT_ID is empty", env, env))
		case p.ClientID != "" && p.ClientSecret == "" && !secretOptional:
			errs = append(errs, fmt.Errorf("AUTH_%s_CLIENT_ID is set but AUTH_%s_CLIENT_SECRET is empty", env, env))
		}
	}
	pair("GOOGLE", c.Google, false)
	pair("GITHUB", c.GitHub, false)
	pair("KAKAO", c.Kakao, false)
	pair("NAVER", c.Naver, false)
	pair("OIDC", c.OIDC.ProviderConfig, false)
	a := c.Apple
	pair("APPLE", a.ProviderConfig, true)
	if a.ClientID != "" && a.ClientSecret == "" && (a.TeamID == "" || a.KeyID == "" || a.PrivateKey == "") {
		errs = append(errs, fmt.Errorf("AUTH_APPLE_CLIENT_ID is set: set AUTH_APPLE_CLIENT_SECRET, "+
			"or all of AUTH_APPLE_TEAM_ID, AUTH_APPLE_KEY_ID and AUTH_APPLE_PRIVATE_KEY"))
	}
	if c.OIDC.Enabled() {
		if u, err := url.Parse(c.OIDC.DiscoveryURL); err != nil || u.Host == "" ||
			(u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
			errs = append(errs, fmt.Errorf("AUTH_OIDC_DISCOVERY_URL %q: want an https URL", c.OIDC.DiscoveryURL))
		}
	}
	return errs
}

// buildProviders makes the goth provider of every enabled entry. OIDC
// discovery happens here, so an unreachable provider stops the start.
func buildProviders(cfg Config) (map[string]*provider, error) {
	out := map[string]*provider{}
	cb := func(name string) string { return cfg.PublicURL + "/auth/callback/" + name }
	add := func(name, label string, g goth.Provider, formPost, pkce bool) {
		g.SetName(name)
		out[name] = &provider{info: ProviderInfo{Name: name, Label: label,
			LoginURL: cfg.PublicURL + "/auth/login/" + name}, goth: g, formPost: formPost, pkce: pkce}
	}
	pc := cfg.Providers
	if p := pc.Google; p.Enabled() {
		g := google.New(p.ClientID, p.ClientSecret, cb("google"), scopes(p, "openid", "email", "profile")...)
		g.HTTPClient = cfg.HTTPClient
		add("google", "Google", g, false, false)
	}
	if p := pc.GitHub; p.Enabled() {
		g := github.New(p.ClientID, p.ClientSecret, cb("github"), scopes(p, "read:user", "user:email")...)
		g.HTTPClient = cfg.HTTPClient
		add("github", "GitHub", g, false, false)
	}
	if p := pc.Kakao; p.Enabled() {
		g := kakao.New(p.ClientID, p.ClientSecret, cb("kakao"), p.Scopes...)
		g.HTTPClient = cfg.HTTPClient
		add("kakao", "Kakao", g, false, false)
	}
	if p := pc.Naver; p.Enabled() {
		g := naver.New(p.ClientID, p.ClientSecret, cb("naver"))
		g.HTTPClient = cfg.HTTPClient
		add("naver", "Naver", g, false, false)
	}
	if p := pc.Apple; p.Enabled() {
		secret := p.ClientSecret
		if secret == "" {
			now := cfg.Now()
			s, err := apple.MakeSecret(apple.SecretParams{PKCS8PrivateKey: p.PrivateKey, TeamId: p.TeamID,
				KeyId: p.KeyID, ClientId: p.ClientID, Iat: int(now.Unix()),
				Exp: int(now.Add(180 * 24 * time.Hour).Unix())})
			if err != nil {
				// The error comes from parsing the key; keep the key out of it.
				return nil, fmt.Errorf("AUTH_APPLE_PRIVATE_KEY: cannot make the Apple client secret from it")
			}
			secret = *s
		}
		// Asking for name or email makes Apple answer with form_post.
		g := apple.New(p.ClientID, secret, cb("apple"), cfg.HTTPClient, scopes(p.ProviderConfig, apple.ScopeName, apple.ScopeEmail)...)
		add("apple", "Apple", g, true, false)
	}
	if p := pc.OIDC; p.Enabled() {
		g, err := newOIDC(cfg, p, cb("oidc"))
		if err != nil {
			return nil, err
		}
		label := p.Label
		if label == "" {
			label = "OpenID Connect"
		}
		add("oidc", label, g, false, true)
	}
	return out, nil
}

// newOIDC fetches the discovery document through cfg.HTTPClient (goth's
// constructor would use the default client, which tests cannot redirect).
func newOIDC(cfg Config, p OIDCConfig, callback string) (*openidConnect.Provider, error) {
	d, err := discover(cfg.HTTPClient, p.DiscoveryURL)
	if err != nil {
		return nil, fmt.Errorf("OpenID Connect discovery at %s: %w", p.DiscoveryURL, err)
	}
	g, err := openidConnect.NewCustomisedURL(p.ClientID, p.ClientSecret, callback, d.AuthEndpoint,
		d.TokenEndpoint, d.Issuer, d.UserInfoEndpoint, d.EndSessionEndpoint,
		scopes(p.ProviderConfig, "openid", "email", "profile")...)
	if err != nil {
		return nil, err
	}
	g.HTTPClient = cfg.HTTPClient
	return g, nil
}

// discover reads an OpenID Connect discovery document.
func discover(client *http.Client, discoveryURL string) (*openidConnect.OpenIDConfig, error) {
	resp, err := client.Get(discoveryURL)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	var d openidConnect.OpenIDConfig
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&d); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if d.AuthEndpoint == "" || d.TokenEndpoint == "" || d.Issuer == "" {
		return nil, fmt.Errorf("document lacks authorization_endpoint, token_endpoint or issuer")
	}
	return &d, nil
}

func scopes(p ProviderConfig, def ...string) []string {
	if len(p.Scopes) > 0 {
		return p.Scopes
	}
	return def
}

// EnabledProviders lists the enabled identity providers in a stable order,
// for the login page.
func (s *Service) EnabledProviders() []ProviderInfo {
	out := make([]ProviderInfo, 0, len(s.providers))
	for _, p := range s.providers {
		out = append(out, p.info)
	}
	order := map[string]int{"google": 1, "apple": 2, "github": 3, "kakao": 4, "naver": 5, "oidc": 6}
	sort.Slice(out, func(i, j int) bool { return order[out[i].Name] < order[out[j].Name] })
	return out
}
