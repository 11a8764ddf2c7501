package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestAccessTokenRoundTrip(t *testing.T) {
	e := newEnv(t, false, nil)
	p := Principal{UserID: "u1", DisplayName: "Ann", Role: RoleSeller}
	tok, err := e.svc.jwt.issueAccess(p, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, how := range []string{"bearer", "cookie"} {
		r := httptest.NewRequest("GET", "/", nil)
		if how == "bearer" {
			r.Header.Set("Authorization", "Bearer "+tok)
		} else {
			r.Header.Set("Cookie", AccessCookie+"="+tok)
		}
		got, err := e.svc.Authenticate(r)
		if err != nil || got.UserID != "u1" || got.Role != RoleSeller || got.DisplayName != "Ann" || got.Guest {
			t.Fatalf("%s: Authenticate = %+v, %v", how, got, err)
		}
	}
	if _, err := e.svc.Authenticate(httptest.NewRequest("GET", "/", nil)); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("no credentials: err = %v, want ErrUnauthorized", err)
	}
}

// TestRejectedTokens feeds Authenticate every kind of bad token: each must
// be refused, and only a genuine expired one as "expired".
func TestRejectedTokens(t *testing.T) {
	e := newEnv(t, false, nil)
	key := e.cfg.JWTKey
	now := time.Now()
	good := func() accessClaims {
		return accessClaims{RegisteredClaims: jwt.RegisteredClaims{
			Issuer: e.svc.cfg.PublicURL, Subject: "u1", Audience: jwt.ClaimStrings{audienceAccess},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)),
		}, Role: RoleAdmin}
	}
	sign := func(m jwt.SigningMethod, k any, mod func(*accessClaims)) string {
		c := good()
		if mod != nil {
			mod(&c)
		}
		s, err := jwt.NewWithClaims(m, c).SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	valid := sign(jwt.SigningMethodHS256, key, nil)
	parts := strings.Split(valid, ".")
	cases := []struct {
		name  string
		token string
		want  error
	}{
		{"alg none", sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil), ErrInvalidToken},
		{"RS256", sign(jwt.SigningMethodRS256, rsaKey, nil), ErrInvalidToken},
		{"HS512 with our key", sign(jwt.SigningMethodHS512, key, nil), ErrInvalidToken},
		{"HS384 with our key", sign(jwt.SigningMethodHS384, key, nil), ErrInvalidToken},
		{"other key", sign(jwt.SigningMethodHS256, []byte("another-key-another-key-another-key!"), nil), ErrInvalidToken},
		{"expired", sign(jwt.SigningMethodHS256, key, func(c *accessClaims) {
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Minute))
		}), ErrTokenExpired},
		{"no expiry", sign(jwt.SigningMethodHS256, key, func(c *accessClaims) { c.ExpiresAt = nil }), ErrInvalidToken},
		{"issued in the future", sign(jwt.SigningMethodHS256, key, func(c *accessClaims) {
			c.IssuedAt = jwt.NewNumericDate(now.Add(time.Hour))
		}), ErrInvalidToken},
		{"other issuer", sign(jwt.SigningMethodHS256, key, func(c *accessClaims) { c.Issuer = "https://evil" }), ErrInvalidToken},
		{"viewer audience", sign(jwt.SigningMethodHS256, key, func(c *accessClaims) {
			c.Audience = jwt.ClaimStrings{audienceViewer}
		}), ErrInvalidToken},
		{"no subject", sign(jwt.SigningMethodHS256, key, func(c *accessClaims) { c.Subject = "" }), ErrInvalidToken},
		{"unknown role", sign(jwt.SigningMethodHS256, key, func(c *accessClaims) { c.Role = "root" }), ErrInvalidToken},
		{"tampered payload", parts[0] + "." + strings.TrimRight(parts[1], "A") + "B." + parts[2], ErrInvalidToken},
		{"garbage", "not.a.token", ErrInvalidToken},
		{"huge", strings.Repeat("a", 10000), ErrInvalidToken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "Bearer "+tc.token)
			p, err := e.svc.Authenticate(r)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Authenticate = %+v, %v; want %v", p, err, tc.want)
			}
		})
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+valid)
	if _, err := e.svc.Authenticate(r); err != nil {
		t.Fatalf("control token refused: %v", err)
	}
	r.Header.Set("Authorization", "Basic "+valid)
	if _, err := e.svc.Authenticate(r); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("Basic scheme: %v", err)
	}
}

func TestViewerTokens(t *testing.T) {
	e := newEnv(t, false, nil)
	seller := Principal{UserID: "s1", Role: RoleSeller}
	room := Room{ID: "r1", SellerID: "s1"}
	tok, err := e.svc.IssueViewerToken(seller, room)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.CheckViewerToken(tok, "r1"); err != nil {
		t.Fatalf("own room: %v", err)
	}
	if err := e.svc.CheckViewerToken(tok, "r2"); !errors.Is(err, ErrForbidden) {
		t.Fatalf("other room: %v", err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	if _, err := e.svc.Authenticate(r); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("viewer token accepted as access token: %v", err)
	}
	bidder := Principal{UserID: "b1", Role: RoleBidder}
	if _, err := e.svc.IssueViewerToken(bidder, room); !errors.Is(err, ErrForbidden) {
		t.Fatalf("bidder issued a viewer token: %v", err)
	}
	if err := e.svc.CanView(bidder, room, ""); !errors.Is(err, ErrForbidden) {
		t.Fatalf("bidder without token viewed a private room: %v", err)
	}
	if err := e.svc.CanView(Principal{}, room, tok); err != nil {
		t.Fatalf("anonymous holder of a viewer token: %v", err)
	}
	if err := e.svc.CanView(Principal{}, Room{ID: "r3", Public: true}, ""); err != nil {
		t.Fatalf("public room: %v", err)
	}
}

// FuzzParseAccess checks that no input makes the token parser panic, and
// that whatever it accepts carries a valid HMAC-SHA256 of our key over its
// header and payload (nothing unsigned or signed otherwise gets through).
func FuzzParseAccess(f *testing.F) {
	key := []byte("0123456789abcdef0123456789abcdef")
	s := &signer{key: key, issuer: "http://127.0.0.1", now: time.Now}
	good, _ := s.issueAccess(Principal{UserID: "u", Role: RoleBidder}, time.Hour)
	f.Add(good)
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0.")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, tok string) {
		p, err := s.parseAccess(tok)
		if err != nil {
			return
		}
		parts := strings.Split(tok, ".")
		if len(parts) != 3 {
			t.Fatalf("accepted a token without three parts: %q", tok)
		}
		sig, derr := base64.RawURLEncoding.DecodeString(parts[2])
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(parts[0] + "." + parts[1]))
		if derr != nil || !hmac.Equal(sig, mac.Sum(nil)) {
			t.Fatalf("accepted a token we did not sign: %q → %+v", tok, p)
		}
	})
}
