package auth

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/bidcast/bidcast/storage"
)

// Guests sign in with a display name only: they get an account (provider
// "guest", a random subject) so chat lines and, when the operator allows
// it, bids have an author, but nothing ties it to a person. A guest's
// session is lost with its cookies; signing in as a guest again makes a
// new account.

// MaxNameLen is the longest display name a guest may choose, in characters.
const MaxNameLen = 32

// ValidateDisplayName trims surrounding spaces and checks that 1 to
// MaxNameLen characters remain, with no control or invisible formatting
// characters (which could hide text or reverse it in other users' chat):
// VisibleText, the rule chat follows too.
func ValidateDisplayName(name string) (string, error) {
	name = strings.TrimSpace(name)
	n := utf8.RuneCountInString(name)
	if !utf8.ValidString(name) || n < 1 || n > MaxNameLen {
		return "", ErrInvalidName
	}
	if !VisibleText(name) {
		return "", ErrInvalidName
	}
	return name, nil
}

// GuestLogin makes a guest account named name and starts its session.
func (s *Service) guestLogin(ctx context.Context, name string) (Principal, tokens, error) {
	name, err := ValidateDisplayName(name)
	if err != nil {
		return Principal{}, tokens{}, err
	}
	u, err := s.users.Upsert(ctx, storage.User{Provider: GuestProvider, Subject: randomToken(18),
		DisplayName: name, Role: RoleBidder})
	if err != nil {
		return Principal{}, tokens{}, fmt.Errorf("create guest: %w", storageErr(err))
	}
	s.log.Info("guest signed in", "user", u.ID)
	return s.startSession(ctx, u)
}

// displayName picks the name to show for a user coming from an identity
// provider: their full name, else nickname, else the part of the email
// before the @, cut to what the users table holds and cleaned of control
// characters.
func displayName(candidates ...string) string {
	for _, c := range candidates {
		c = strings.Map(func(r rune) rune {
			if hiddenRune(r) {
				return -1
			}
			return r
		}, strings.TrimSpace(c))
		if i := strings.IndexByte(c, '@'); i > 0 {
			c = c[:i]
		}
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if r := []rune(c); len(r) > 64 {
			c = string(r[:64])
		}
		return c
	}
	return "user"
}
