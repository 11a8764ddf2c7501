package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/internal/ratelimit"
	"github.com/bidcast/bidcast/storage"
)

// Cookie names. The refresh cookie is scoped to /auth so that it travels
// only to the endpoints that rotate or revoke it, never to the API.
const (
	AccessCookie  = "bidcast_access"
	RefreshCookie = "bidcast_refresh"
	refreshPath   = "/auth"
)

// Service issues and checks sessions, runs the OAuth logins and answers the
// /auth routes. It is safe for concurrent use.
type Service struct {
	cfg       Config
	users     Users
	rooms     RoomStore
	rdb       redis.UniversalClient
	log       *slog.Logger
	jwt       *signer
	recordKey []byte // seals what Redis keeps (records.go)
	cookies   *securecookie.SecureCookie
	providers map[string]*provider
	csrf      *http.CrossOriginProtection
	limiter   *limiter
	// cookieWarnings are logged once, by the first Routes.
	cookieWarnings []string
	warnOnce       sync.Once
}

// Option adjusts a Service.
type Option func(*Service)

// WithRooms gives the Service the rooms repository that CanPublish and
// viewer-token issuing need.
func WithRooms(rooms RoomStore) Option { return func(s *Service) { s.rooms = rooms } }

// NewService checks cfg, fills defaults, generates missing keys (only
// allowed in development, with a warning) and prepares the enabled
// identity providers, fetching OIDC discovery documents.
func NewService(cfg Config, users Users, rdb redis.UniversalClient, log *slog.Logger, opts ...Option) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("auth config: %w", err)
	}
	cfg = cfg.withDefaults()
	// Warnings about cookies matter only where cookies are served: they
	// wait for Routes, so a command-line tool that builds a Service (a
	// login link) does not print them.
	var cookieWarnings []string
	gen := func(name string, key *[]byte, n int, cookie bool) {
		if len(*key) == 0 {
			*key = randomBytes(n)
			msg := name + " is not set: using a random key; sessions will not survive a restart " +
				"and will not work across nodes"
			if cookie {
				cookieWarnings = append(cookieWarnings, msg)
			} else {
				log.Warn(msg)
			}
		}
	}
	gen("AUTH_COOKIE_HASH_KEY", &cfg.CookieHashKey, 32, true)
	gen("AUTH_COOKIE_BLOCK_KEY", &cfg.CookieBlockKey, 32, true)
	gen("AUTH_JWT_KEY", &cfg.JWTKey, 32, false)
	if !cfg.secureCookies() {
		cookieWarnings = append(cookieWarnings, "cookies are sent without the Secure flag because PUBLIC_URL "+
			"is plain http on loopback; use https anywhere else")
	}
	if cfg.guestsMayBidIgnored {
		// Like the cookie warnings, this concerns only a serving server.
		cookieWarnings = append(cookieWarnings, "AUTH_GUESTS_MAY_BID is no longer read: guest bidding is a "+
			"setting of each room (`auctiond room create --guests-may-bid`, or guests_may_bid in the rooms API)")
	}
	s := &Service{
		cfg: cfg, users: users, rdb: rdb, log: log, cookieWarnings: cookieWarnings,
		jwt:       &signer{key: cfg.JWTKey, issuer: cfg.PublicURL, now: cfg.Now},
		recordKey: recordKey(cfg.JWTKey),
		cookies:   securecookie.New(cfg.CookieHashKey, cfg.CookieBlockKey),
	}
	s.cookies.MaxAge(int(cfg.StateTTL / time.Second))
	s.cookies.SetSerializer(securecookie.JSONEncoder{})
	for _, o := range opts {
		o(s)
	}
	var err error
	if s.providers, err = buildProviders(cfg); err != nil {
		return nil, err
	}
	if s.csrf, err = newCrossOriginProtection(cfg); err != nil {
		return nil, err
	}
	s.limiter = &limiter{win: ratelimit.NewWindow(rdb, cfg.RedisPrefix+"rl:", cfg.Now), cfg: cfg.RateLimit, log: log}
	return s, nil
}

// Authenticate tells who made r, from the Authorization: Bearer header or
// else the access cookie. It answers ErrUnauthorized when neither is
// present (callers serving anonymous users treat that as nobody),
// ErrTokenExpired for an expired token and ErrInvalidToken for anything
// forged or malformed.
func (s *Service) Authenticate(r *http.Request) (Principal, error) {
	token := ""
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, rest, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(rest) == "" {
			return Principal{}, fmt.Errorf("authorization header: %w", ErrInvalidToken)
		}
		token = strings.TrimSpace(rest)
	} else if c, err := r.Cookie(AccessCookie); err == nil && c.Value != "" {
		token = c.Value
	}
	if token == "" {
		return Principal{}, ErrUnauthorized
	}
	p, err := s.jwt.parseAccess(token)
	if err != nil {
		return Principal{}, err
	}
	return p, nil
}

// tokens is a freshly issued session.
type tokens struct {
	Access    string
	Refresh   string
	ExpiresIn time.Duration
}

// startSession issues an access token and a new refresh-token family for u.
func (s *Service) startSession(ctx context.Context, u storage.User) (Principal, tokens, error) {
	p := s.principalOf(u)
	refresh, err := s.newFamily(ctx, u.ID)
	if err != nil {
		return Principal{}, tokens{}, err
	}
	access, err := s.jwt.issueAccess(p, s.cfg.AccessTTL)
	if err != nil {
		return Principal{}, tokens{}, err
	}
	return p, tokens{Access: access, Refresh: refresh, ExpiresIn: s.cfg.AccessTTL}, nil
}

// setSessionCookies hands the tokens to the browser. Both are HttpOnly
// (page scripts never see them) and SameSite=Lax, so a cross-site POST does
// not carry them; CrossOriginProtection covers what Lax lets through.
func (s *Service) setSessionCookies(w http.ResponseWriter, t tokens) {
	http.SetCookie(w, s.cookie(AccessCookie, t.Access, "/", s.cfg.AccessTTL))
	http.SetCookie(w, s.cookie(RefreshCookie, t.Refresh, refreshPath, s.cfg.RefreshTTL))
}

// clearSessionCookies removes both session cookies.
func (s *Service) clearSessionCookies(w http.ResponseWriter) {
	http.SetCookie(w, s.cookie(AccessCookie, "", "/", -1))
	http.SetCookie(w, s.cookie(RefreshCookie, "", refreshPath, -1))
}

// cookie makes a session cookie; a negative ttl deletes it.
func (s *Service) cookie(name, value, path string, ttl time.Duration) *http.Cookie {
	c := &http.Cookie{Name: name, Value: value, Path: path, HttpOnly: true,
		Secure: s.cfg.secureCookies(), SameSite: http.SameSiteLaxMode}
	if ttl < 0 {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(ttl / time.Second)
	}
	return c
}

// randomBytes reads n bytes from the system's CSPRNG, which never fails on
// supported platforms (crypto/rand panics rather than return weak bytes).
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// randomToken is n random bytes in URL-safe base64.
func randomToken(n int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(n)) }

// hashToken is the SHA-256 of a bearer secret in hex. Redis keeps only
// hashes, so a dump of it hands out no usable token.
func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// storageErr maps a repository failure to a client error.
func storageErr(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("%w: %w", err, ErrNotFound)
	}
	return fmt.Errorf("%w: %w", err, ErrUnavailable)
}
