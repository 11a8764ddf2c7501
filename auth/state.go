package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The OAuth state ties a callback to the browser that started the login,
// so an attacker cannot make a victim's browser finish the attacker's
// login (login CSRF). Ours is:
//
//   - always fresh: 32 random bytes made by us, never read from a request;
//   - bound to the browser: kept in a cookie that is HMAC-authenticated and
//     AES-encrypted (securecookie), HttpOnly, scoped to the callback path
//     and expiring after StateTTL;
//   - checked in constant time against the callback's state parameter;
//   - single-use: its hash is also stored in Redis at the start and taken
//     with GETDEL at the callback, so replaying a callback URL (with or
//     without the cookie) fails, on any node.
type oauthState struct {
	State    string `json:"s"`
	Provider string `json:"p"`
	// Session is goth's marshalled session from BeginAuth.
	Session string `json:"g"`
	// Verifier is the PKCE code verifier, for providers that take one.
	Verifier string `json:"v,omitempty"`
	// ReturnTo is the local path to land on after the login.
	ReturnTo string `json:"r,omitempty"`
}

const stateCookiePrefix = "bidcast_oauth_"

func (s *Service) stateKey(state string) string {
	return s.cfg.RedisPrefix + "state:" + hashToken(state)
}

// stateCookie builds the state cookie for a provider. Providers answering
// with a cross-site form POST (Apple) need SameSite=None, which browsers
// accept only with Secure; the others get Lax, which a top-level redirect
// back to us carries.
func (s *Service) stateCookie(p *provider, value string, maxAge int) *http.Cookie {
	c := &http.Cookie{Name: stateCookiePrefix + p.info.Name, Value: value, Path: "/auth/callback/" + p.info.Name,
		MaxAge: maxAge, HttpOnly: true, Secure: s.cfg.secureCookies(), SameSite: http.SameSiteLaxMode}
	if p.formPost {
		c.SameSite, c.Secure = http.SameSiteNoneMode, true
	}
	return c
}

// saveState records a new state in Redis and in the browser's cookie.
func (s *Service) saveState(ctx context.Context, w http.ResponseWriter, p *provider, st oauthState) error {
	ok, err := s.rdb.SetNX(ctx, s.stateKey(st.State), p.info.Name, s.cfg.StateTTL).Result()
	if err != nil {
		return fmt.Errorf("store oauth state: %v: %w", err, ErrUnavailable)
	}
	if !ok {
		// 256 random bits never collide; this is a broken random source.
		return fmt.Errorf("store oauth state: already exists")
	}
	enc, err := s.cookies.Encode(stateCookiePrefix+p.info.Name, st)
	if err != nil {
		return fmt.Errorf("encode oauth state cookie: %w", err)
	}
	http.SetCookie(w, s.stateCookie(p, enc, int(s.cfg.StateTTL/time.Second)))
	return nil
}

// takeState checks a callback's state against the browser's cookie and
// consumes it. The cookie is cleared whatever the outcome, so a failed
// attempt cannot be retried with the same state.
func (s *Service) takeState(ctx context.Context, w http.ResponseWriter, r *http.Request, p *provider, got string) (oauthState, error) {
	http.SetCookie(w, s.stateCookie(p, "", -1))
	c, err := r.Cookie(stateCookiePrefix + p.info.Name)
	if err != nil || got == "" {
		return oauthState{}, fmt.Errorf("oauth callback without state cookie or parameter: %w", ErrInvalidState)
	}
	var st oauthState
	if err := s.cookies.Decode(c.Name, c.Value, &st); err != nil {
		// Forged, tampered with, made with other keys or too old.
		return oauthState{}, fmt.Errorf("oauth state cookie: %v: %w", err, ErrInvalidState)
	}
	if st.Provider != p.info.Name || len(st.State) != len(got) ||
		subtle.ConstantTimeCompare([]byte(st.State), []byte(got)) != 1 {
		return oauthState{}, fmt.Errorf("oauth state does not match the cookie: %w", ErrInvalidState)
	}
	name, err := s.rdb.GetDel(ctx, s.stateKey(st.State)).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return oauthState{}, fmt.Errorf("oauth state already used or expired: %w", ErrInvalidState)
	case err != nil:
		return oauthState{}, fmt.Errorf("take oauth state: %v: %w", err, ErrUnavailable)
	case name != p.info.Name:
		return oauthState{}, fmt.Errorf("oauth state made for another provider: %w", ErrInvalidState)
	}
	return st, nil
}

// safeReturnTo keeps only local absolute paths, so the login cannot be
// used to redirect a user to another site (open redirect).
func safeReturnTo(raw string) string {
	if raw == "" || len(raw) > 512 || raw[0] != '/' || strings.HasPrefix(raw, "//") ||
		strings.ContainsAny(raw, "\\\r\n\t") {
		return "/"
	}
	for _, c := range raw {
		if c < 0x20 || c == 0x7f {
			return "/"
		}
	}
	return raw
}
