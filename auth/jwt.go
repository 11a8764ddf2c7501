package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Audiences keep each kind of token to its own purpose: a viewer token for
// a room can never pass as an access token, nor the reverse.
const (
	audienceAccess = "access"
	audienceViewer = "view"
)

// accessClaims is what an access token says about its holder. Role and the
// guest flag are copied at issue time; a role change shows at the next
// refresh, at most AccessTTL later.
type accessClaims struct {
	jwt.RegisteredClaims
	Name  string `json:"name"`
	Role  string `json:"role"`
	Guest bool   `json:"guest,omitempty"`
}

// viewerClaims grant watching one non-public room.
type viewerClaims struct {
	jwt.RegisteredClaims
	Room string `json:"room"`
}

// signer makes and checks HS256 tokens. Only HS256 is accepted: a token
// whose header names "none", RS256 (with our key as the "public key") or
// any other algorithm is refused before its signature is looked at.
type signer struct {
	key    []byte
	issuer string
	now    func() time.Time
}

func (s *signer) sign(claims jwt.Claims) (string, error) {
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return tok, nil
}

// registered fills the standard claims for a token of the given audience.
func (s *signer) registered(subject, audience string, ttl time.Duration) jwt.RegisteredClaims {
	now := s.now()
	return jwt.RegisteredClaims{
		Issuer:    s.issuer,
		Subject:   subject,
		Audience:  jwt.ClaimStrings{audience},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		ID:        randomToken(12),
	}
}

// parse checks a token's algorithm, signature, issuer, audience and expiry
// (all required) and fills claims. It answers ErrTokenExpired for a genuine
// token past its expiry and ErrInvalidToken for everything else.
func (s *signer) parse(token, audience string, claims jwt.Claims) error {
	if len(token) > maxTokenLen {
		return fmt.Errorf("token of %d bytes: %w", len(token), ErrInvalidToken)
	}
	_, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return s.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(s.issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(5*time.Second),
		jwt.WithTimeFunc(s.now),
	)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jwt.ErrTokenExpired):
		return fmt.Errorf("parse %s token: %w", audience, ErrTokenExpired)
	default:
		// jwt's message says which check failed; it is for logs only.
		return fmt.Errorf("parse %s token: %v: %w", audience, err, ErrInvalidToken)
	}
}

// maxTokenLen bounds what the parser is given: our tokens are a few hundred
// bytes, and a megabyte header should not cost a base64 decode.
const maxTokenLen = 4096

// issueAccess signs an access token for p.
func (s *signer) issueAccess(p Principal, ttl time.Duration) (string, error) {
	return s.sign(accessClaims{
		RegisteredClaims: s.registered(p.UserID, audienceAccess, ttl),
		Name:             p.DisplayName, Role: p.Role, Guest: p.Guest,
	})
}

// parseAccess checks an access token and returns who it names.
func (s *signer) parseAccess(token string) (Principal, error) {
	var c accessClaims
	if err := s.parse(token, audienceAccess, &c); err != nil {
		return Principal{}, err
	}
	if c.Subject == "" || !validRole(c.Role) {
		return Principal{}, fmt.Errorf("access token without subject or role: %w", ErrInvalidToken)
	}
	return Principal{UserID: c.Subject, DisplayName: c.Name, Role: c.Role, Guest: c.Guest}, nil
}
