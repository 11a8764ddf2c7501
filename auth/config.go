package auth

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bidcast/bidcast/internal/clientip"
	"github.com/bidcast/bidcast/internal/envconf"
)

// Config is everything auth needs. Zero durations and budgets take the
// defaults below; keys left empty are generated at start, which Validate
// allows only when PublicURL is a loopback http(s) address (development).
type Config struct {
	// PublicURL is the site's origin as browsers see it, such as
	// https://auction.example.com. Callback URLs, the token issuer, the
	// trusted origin for CSRF checks and the Secure cookie flag derive from it.
	PublicURL string
	// CookieHashKey authenticates (HMAC-SHA256) the OAuth state cookie;
	// 32 or 64 bytes.
	CookieHashKey []byte
	// CookieBlockKey encrypts (AES) the OAuth state cookie; 16, 24 or 32 bytes.
	CookieBlockKey []byte
	// JWTKey signs access and viewer tokens with HS256; at least 32 bytes.
	JWTKey []byte

	// AccessTTL is the life of an access token. Zero means 15 minutes.
	AccessTTL time.Duration
	// RefreshTTL is the idle life of a refresh-token family: each rotation
	// extends it. Zero means 30 days.
	RefreshTTL time.Duration
	// StateTTL bounds how long a user may spend at the identity provider.
	// Zero means 10 minutes.
	StateTTL time.Duration
	// TicketTTL is the life of a WebSocket ticket. Zero means 30 seconds.
	TicketTTL time.Duration
	// ViewerTTL is the life of a viewer token for a non-public room. Zero
	// means 1 hour.
	ViewerTTL time.Duration

	// SellerAutoApprove makes every application to sell succeed at once.
	SellerAutoApprove bool
	// TrustedOrigins are extra origins (scheme://host[:port]) whose
	// cross-origin state-changing requests are accepted, such as a separate
	// front-end's origin.
	TrustedOrigins []string

	// RateLimit bounds login and token endpoints per client address.
	RateLimit RateLimitConfig
	// Providers configures the identity providers; each is enabled when its
	// client ID and secret are set.
	Providers ProvidersConfig

	// RedisPrefix prefixes every Redis key. Zero means "bidcast:auth:".
	// Tests give each run its own prefix.
	RedisPrefix string
	// HTTPClient makes the calls to identity providers (discovery, token
	// exchange, profile). Nil means a client with a 10-second timeout.
	HTTPClient *http.Client
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// guestsMayBidIgnored: AUTH_GUESTS_MAY_BID is set, but guest bidding
	// is now a setting of each room; the server warns that it is ignored.
	guestsMayBidIgnored bool
}

// RateLimitConfig holds the per-client budgets of the auth endpoints, as
// requests per Window.
type RateLimitConfig struct {
	// Window is the fixed window. Zero means one minute.
	Window time.Duration
	// Login covers starting a login, callbacks and guest sign-ins. Zero
	// means 20 per window.
	Login int
	// Token covers refresh, tickets and logout. Zero means 60 per window.
	Token int
	// ClientIP finds the client address of a request; its zero value
	// trusts no proxy and uses the connection's peer, which a client cannot
	// forge. The server sets it from TRUSTED_PROXIES.
	ClientIP clientip.Resolver
	// Disabled turns rate limiting off (load tests from one address).
	Disabled bool
}

// withDefaults returns c with zero values replaced by defaults.
func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.AccessTTL, 15*time.Minute)
	def(&c.RefreshTTL, 30*24*time.Hour)
	def(&c.StateTTL, 10*time.Minute)
	def(&c.TicketTTL, 30*time.Second)
	def(&c.ViewerTTL, time.Hour)
	def(&c.RateLimit.Window, time.Minute)
	if c.RateLimit.Login == 0 {
		c.RateLimit.Login = 20
	}
	if c.RateLimit.Token == 0 {
		c.RateLimit.Token = 60
	}
	if c.RedisPrefix == "" {
		c.RedisPrefix = "bidcast:auth:"
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	return c
}

// Validate reports every setting that can never work, so the server stops
// at start with one clear message instead of failing a user's login later.
func (c Config) Validate() error {
	var errs []error
	u, err := url.Parse(c.PublicURL)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		errs = append(errs, fmt.Errorf("PUBLIC_URL %q: want an absolute http(s) URL", c.PublicURL))
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		errs = append(errs, fmt.Errorf("PUBLIC_URL %q: plain http is allowed only on a loopback address; "+
			"cookies carrying sessions need https", c.PublicURL))
	}
	dev := c.development()
	keys := []struct {
		name  string
		key   []byte
		sizes []int
		min   int
	}{
		{"AUTH_COOKIE_HASH_KEY", c.CookieHashKey, []int{32, 64}, 0},
		{"AUTH_COOKIE_BLOCK_KEY", c.CookieBlockKey, []int{16, 24, 32}, 0},
		{"AUTH_JWT_KEY", c.JWTKey, nil, 32},
	}
	for _, k := range keys {
		switch {
		case len(k.key) == 0 && !dev:
			errs = append(errs, fmt.Errorf("%s is required when PUBLIC_URL is not a loopback address", k.name))
		case len(k.key) == 0:
		case k.min > 0 && len(k.key) < k.min:
			errs = append(errs, fmt.Errorf("%s: want at least %d bytes, got %d", k.name, k.min, len(k.key)))
		case k.sizes != nil && !containsInt(k.sizes, len(k.key)):
			errs = append(errs, fmt.Errorf("%s: want %v bytes, got %d", k.name, k.sizes, len(k.key)))
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"access TTL", c.AccessTTL}, {"refresh TTL", c.RefreshTTL}, {"state TTL", c.StateTTL},
		{"ticket TTL", c.TicketTTL}, {"viewer TTL", c.ViewerTTL}, {"rate-limit window", c.RateLimit.Window}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s is negative", d.name))
		}
	}
	for _, o := range c.TrustedOrigins {
		if ou, err := url.Parse(o); err != nil || ou.Host == "" || ou.Path != "" || ou.Scheme == "" {
			errs = append(errs, fmt.Errorf("AUTH_TRUSTED_ORIGINS: %q is not an origin (scheme://host[:port])", o))
		}
	}
	errs = append(errs, c.Providers.validate()...)
	return errors.Join(errs...)
}

// development reports whether the site runs on a loopback address, where
// generated keys and plain-http cookies are acceptable.
func (c Config) development() bool {
	u, err := url.Parse(c.PublicURL)
	return err == nil && isLoopback(u.Hostname())
}

// secureCookies reports whether cookies get the Secure flag: always, except
// for plain-http development on a loopback address.
func (c Config) secureCookies() bool {
	u, err := url.Parse(c.PublicURL)
	return err != nil || u.Scheme != "http"
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func containsInt(xs []int, v int) bool {
	for _, x := range xs {
		if x == v {
			return true
		}
	}
	return false
}

// ConfigFromEnv reads the AUTH_* variables (and PUBLIC_URL) documented in
// the package comment. It fails on values that do not parse; Validate then
// checks that they make sense together.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	r := envconf.New(getenv)
	c := Config{PublicURL: getenv("PUBLIC_URL")}
	key := func(name string) []byte {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return nil
		}
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			b, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(v, "="))
		}
		if err != nil {
			// The value is a secret: name it, never echo it.
			r.Fail(fmt.Errorf("%s is not valid base64", name))
		}
		return b
	}
	c.CookieHashKey = key("AUTH_COOKIE_HASH_KEY")
	c.CookieBlockKey = key("AUTH_COOKIE_BLOCK_KEY")
	c.JWTKey = key("AUTH_JWT_KEY")
	c.AccessTTL = r.Duration("AUTH_ACCESS_TTL", 0)
	c.RefreshTTL = r.Duration("AUTH_REFRESH_TTL", 0)
	c.SellerAutoApprove = r.Bool("AUTH_SELLER_AUTO_APPROVE", false)
	c.TrustedOrigins = r.List("AUTH_TRUSTED_ORIGINS")
	c.RateLimit.Login = r.Int("AUTH_RATE_LOGIN", 0, 1, math.MaxInt)
	c.RateLimit.Token = r.Int("AUTH_RATE_TOKEN", 0, 1, math.MaxInt)
	if getenv("AUTH_CLIENT_IP_HEADER") != "" {
		r.Fail(errors.New("AUTH_CLIENT_IP_HEADER is no longer read: list your reverse proxies in TRUSTED_PROXIES instead"))
	}
	c.RateLimit.Disabled = r.Bool("AUTH_RATE_LIMIT_DISABLED", false)
	c.guestsMayBidIgnored = getenv("AUTH_GUESTS_MAY_BID") != ""
	c.Providers = providersFromEnv(getenv)
	return c, r.Err()
}
