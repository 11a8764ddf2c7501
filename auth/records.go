package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bidcast/bidcast/storage"
)

// What Redis keeps for auth (WebSocket tickets, login links, refresh-token
// families) names a user and nothing else: the role, the guest flag and the
// seller grant are read from Postgres when the record is used, so a role
// change or a removed account counts at once, and a record claiming a role
// means nothing. Each user ID is also sealed with an HMAC under a key
// derived from AUTH_JWT_KEY, bound to the Redis key it is stored under and
// to its expiry, so whoever can write to Redis cannot mint a record for
// another user (an admin, say), move one record to another key, or make a
// short-lived one last. A sealed value reads
//
//	v1.<user id>.<expiry, Unix ms, 0 for none>.<HMAC-SHA256, base64url>
const recordVersion = "v1"

// recordKey derives the sealing key from the JWT key, so that a record's
// MAC can never be replayed as a token signature or the reverse.
func recordKey(jwtKey []byte) []byte {
	m := hmac.New(sha256.New, jwtKey)
	m.Write([]byte("bidcast auth: redis record seal"))
	return m.Sum(nil)
}

// recordMAC is the seal over the Redis key, the user and the expiry.
func (s *Service) recordMAC(redisKey, userID, exp string) string {
	m := hmac.New(sha256.New, s.recordKey)
	for _, part := range []string{recordVersion, redisKey, userID, exp} {
		m.Write([]byte(part))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// seal makes the value stored under redisKey for userID. A zero exp leaves
// the expiry to the key's TTL (refresh families, whose TTL slides).
func (s *Service) seal(redisKey, userID string, exp time.Time) string {
	e := "0"
	if !exp.IsZero() {
		e = strconv.FormatInt(exp.UnixMilli(), 10)
	}
	return recordVersion + "." + userID + "." + e + "." + s.recordMAC(redisKey, userID, e)
}

// unseal returns the user a value read from redisKey names, or
// ErrInvalidToken when the value is not one seal made for that key, or has
// expired.
func (s *Service) unseal(redisKey, value string) (string, error) {
	parts := strings.Split(value, ".")
	if len(parts) != 4 || parts[0] != recordVersion {
		return "", fmt.Errorf("unseal record: malformed: %w", ErrInvalidToken)
	}
	userID, e, mac := parts[1], parts[2], parts[3]
	if !hmac.Equal([]byte(mac), []byte(s.recordMAC(redisKey, userID, e))) {
		return "", fmt.Errorf("unseal record: bad seal: %w", ErrInvalidToken)
	}
	ms, err := strconv.ParseInt(e, 10, 64)
	if err != nil {
		return "", fmt.Errorf("unseal record: bad expiry: %w", ErrInvalidToken)
	}
	if ms != 0 && !s.cfg.Now().Before(time.UnixMilli(ms)) {
		return "", fmt.Errorf("unseal record: expired: %w", ErrInvalidToken)
	}
	return userID, nil
}

// currentUser loads the user a record names as Postgres has them now. A
// user that no longer exists makes the record invalid.
func (s *Service) currentUser(ctx context.Context, userID string) (storage.User, error) {
	u, err := s.users.Get(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.User{}, fmt.Errorf("load user %s: removed: %w", userID, ErrInvalidToken)
	} else if err != nil {
		return storage.User{}, fmt.Errorf("load user %s: %w", userID, storageErr(err))
	}
	return u, nil
}
