package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/storage"
)

// Login links let an operator sign a person in without an identity
// provider: `auctiond user login-link` prints a single-use URL that starts
// a session for an existing user, the way a password-reset mail would. It
// is how the first seller signs in on a server with no OAuth configured,
// and how tests and load generators sign sellers in. Only the link's hash
// is kept in Redis, with the sealed user ID (records.go) under it; it
// works once, and it expires after LoginLinkTTL.

// loginLinkPrefix starts every login link token.
const loginLinkPrefix = "ll_"

// LoginLinkTTL is how long a login link stays valid.
const LoginLinkTTL = 15 * time.Minute

func (s *Service) loginLinkKey(token string) string {
	return s.cfg.RedisPrefix + "loginlink:" + hashToken(token)
}

// IssueLoginLink returns a single-use URL that signs userID in. Guests
// cannot be signed in by link: their accounts are disposable.
func (s *Service) IssueLoginLink(ctx context.Context, userID string) (string, error) {
	u, err := s.users.Get(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return "", fmt.Errorf("login link for %q: no such user: %w", userID, ErrNotFound)
	} else if err != nil {
		return "", fmt.Errorf("login link for %q: %w", userID, storageErr(err))
	}
	if u.Provider == GuestProvider {
		return "", fmt.Errorf("login link for %q: a guest account: %w", userID, ErrForbidden)
	}
	token := loginLinkPrefix + randomToken(32)
	key := s.loginLinkKey(token)
	if err := s.rdb.Set(ctx, key, s.seal(key, u.ID, s.cfg.Now().Add(LoginLinkTTL)), LoginLinkTTL).Err(); err != nil {
		return "", fmt.Errorf("store login link: %v: %w", err, ErrUnavailable)
	}
	return s.cfg.PublicURL + "/auth/link/" + token, nil
}

// handleLoginLink redeems a login link (GET /auth/link/{token}): it starts
// the user's session and sends the browser to ?return_to or the home page.
func (s *Service) handleLoginLink(w http.ResponseWriter, r *http.Request) error {
	if err := s.limiter.allow(r, "login", s.cfg.RateLimit.Login); err != nil {
		return err
	}
	token := r.PathValue("token")
	if !strings.HasPrefix(token, loginLinkPrefix) || len(token) > 100 {
		return fmt.Errorf("login link: malformed: %w", ErrInvalidToken)
	}
	key := s.loginLinkKey(token)
	raw, err := s.rdb.GetDel(r.Context(), key).Result()
	if errors.Is(err, redis.Nil) {
		return fmt.Errorf("login link: unknown, used or expired: %w", ErrInvalidToken)
	} else if err != nil {
		return fmt.Errorf("login link: %v: %w", err, ErrUnavailable)
	}
	userID, err := s.unseal(key, raw)
	if err != nil {
		return fmt.Errorf("login link: %w", err)
	}
	u, err := s.currentUser(r.Context(), userID)
	if err != nil {
		return fmt.Errorf("login link: %w", err)
	}
	_, t, err := s.startSession(r.Context(), u)
	if err != nil {
		return err
	}
	s.setSessionCookies(w, t)
	s.log.Info("signed in by login link", "user", u.ID)
	http.Redirect(w, r, safeReturnTo(r.URL.Query().Get("return_to")), http.StatusSeeOther)
	return nil
}
