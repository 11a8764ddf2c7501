package sfu

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TURNConfig makes the server mint a short-lived TURN credential for every
// client that asks for ICE servers, in the time-limited scheme TURN servers
// share with their applications (coturn's use-auth-secret and
// static-auth-secret, draft-uberti-behave-turn-rest): the username is
// "<expiry unix time>:<random id>" and the password is
// base64(HMAC-SHA1(Secret, username)). The TURN server needs only the
// secret; no credential is stored anywhere, and a leaked one stops working
// after TTL.
type TURNConfig struct {
	// URLs are the TURN servers' URLs handed to clients with the minted
	// credential, e.g. "turn:turn.example.com:3478?transport=udp",
	// "turn:turn.example.com:3478?transport=tcp",
	// "turns:turn.example.com:5349?transport=tcp". Empty: no TURN.
	URLs []string
	// Secret is the TURN server's shared secret (coturn's
	// static-auth-secret). Required with URLs.
	Secret string
	// TTL is how long a minted credential may start new TURN allocations.
	// Default 5 min. TURN servers check it when an allocation is made, not
	// afterwards, so a session lasting hours keeps its relay; only a client
	// that must allocate again later (an ICE restart after a network change)
	// needs a fresh credential.
	TTL time.Duration
	// Now is the wall clock expiry times are computed from. Default
	// time.Now; tests use a fake.
	Now func() time.Time
}

// enabled reports whether TURN credentials are minted.
func (c *TURNConfig) enabled() bool { return len(c.URLs) > 0 }

// validate applies defaults and checks c, wrapping errors in
// ErrInvalidConfig.
func (c *TURNConfig) validate() error {
	setDefault(&c.TTL, 5*time.Minute)
	if c.Now == nil {
		c.Now = time.Now
	}
	for _, u := range c.URLs {
		if !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
			return fmt.Errorf("%w: TURN.URLs: %q is not a turn: or turns: URL", ErrInvalidConfig, u)
		}
	}
	switch {
	case c.enabled() && c.Secret == "":
		return fmt.Errorf("%w: TURN.Secret is required with TURN.URLs", ErrInvalidConfig)
	case !c.enabled() && c.Secret != "":
		return fmt.Errorf("%w: TURN.Secret is set but TURN.URLs is empty", ErrInvalidConfig)
	case c.TTL < time.Second || c.TTL > 24*time.Hour:
		return fmt.Errorf("%w: TURN.TTL must be 1s..24h, got %v", ErrInvalidConfig, c.TTL)
	}
	return nil
}

// mint returns a fresh credential for c's URLs, valid until now+TTL.
func (c *TURNConfig) mint() ICEServer {
	var id [8]byte
	_, _ = rand.Read(id[:]) // crypto/rand.Read never fails (Go 1.24+)
	expiry := c.Now().Add(c.TTL).Unix()
	user := strconv.FormatInt(expiry, 10) + ":" + hex.EncodeToString(id[:])
	return ICEServer{URLs: c.URLs, Username: user, Credential: turnPassword(c.Secret, user)}
}

// turnPassword is the time-limited scheme's password for username.
func turnPassword(secret, username string) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
