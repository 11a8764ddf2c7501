package auth

import (
	"fmt"
	"net/http"
	"net/url"
)

// Cookies make every state-changing endpoint a CSRF target: a page on
// another site can make the browser POST here with our cookies attached.
// SameSite=Lax keeps the session cookies off cross-site POSTs in current
// browsers, and Go's CrossOriginProtection (Sec-Fetch-Site, else Origin
// against Host) refuses such requests outright, covering older browsers
// and same-site-but-cross-origin pages (another subdomain). Safe methods
// (GET, HEAD, OPTIONS) pass, so they must never change state.
//
// One route is exempt: Apple answers a login with a cross-site form POST
// to its callback. That request is authenticated by the single-use OAuth
// state instead, which a forger cannot know.

// newCrossOriginProtection trusts our own public origin and the configured
// extra origins, and answers refusals with the JSON error shape.
func newCrossOriginProtection(cfg Config) (*http.CrossOriginProtection, error) {
	c := http.NewCrossOriginProtection()
	origins := append([]string{origin(cfg.PublicURL)}, cfg.TrustedOrigins...)
	for _, o := range origins {
		if err := c.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("trusted origin %q: %w", o, err)
		}
	}
	c.AddInsecureBypassPattern("POST /auth/callback/apple")
	c.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		WriteError(w, ErrCrossOrigin)
	}))
	return c, nil
}

// origin reduces a URL to scheme://host[:port].
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Scheme + "://" + u.Host
}

// CSRF wraps next so that cross-origin state-changing requests are refused
// with 403 {"error":{"code":"cross_origin"}}. The /auth routes are already
// wrapped; cmd/auctiond wraps the whole API with it too.
func (s *Service) CSRF(next http.Handler) http.Handler { return s.csrf.Handler(next) }
