package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Refresh tokens rotate: each use returns a new one and retires the old.
// All tokens descending from one login form a family. Redis keeps, per
// family, the hash of the one current token and the hashes of every
// retired one, so a retired token coming back is recognised as stolen
// (its holder and the rightful user now both have a descendant) and the
// whole family is revoked, logging out both. A token is
//
//	rt_<family>.<secret>
//
// where the family ID only locates the Redis keys; the secret proves
// possession. The family's user is sealed (records.go), so a family
// written into Redis by anyone but this server is refused. Keys carry the family in a hash tag so a cluster keeps a
// family's keys on one slot, as the script requires.
const refreshPrefix = "rt_"

// familyKeys returns the family's state hash and its set of retired hashes.
func (s *Service) familyKeys(family string) []string {
	base := s.cfg.RedisPrefix + "rtf:{" + family + "}"
	return []string{base, base + ":old"}
}

// newFamily starts a family for a login and returns its first token.
func (s *Service) newFamily(ctx context.Context, userID string) (string, error) {
	family := randomToken(16)
	token := refreshPrefix + family + "." + randomToken(32)
	keys := s.familyKeys(family)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, keys[0], "user", s.seal(keys[0], userID, time.Time{}), "cur", hashToken(token), "revoked", "0")
		p.PExpire(ctx, keys[0], s.cfg.RefreshTTL)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("store refresh family: %v: %w", err, ErrUnavailable)
	}
	return token, nil
}

// rotateScript swaps a family's current token for a new one in one step,
// so two concurrent uses of the same token cannot both succeed. It answers
// {"ok", user}, {"reused", user} (and revokes the family), {"revoked"} or
// {"unknown"}.
//
// KEYS: family hash, retired set. ARGV: presented hash, new hash, TTL ms.
var rotateScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], 'cur')
if not cur then return {'unknown'} end
if redis.call('HGET', KEYS[1], 'revoked') == '1' then return {'revoked'} end
if cur == ARGV[1] then
  redis.call('HSET', KEYS[1], 'cur', ARGV[2])
  redis.call('SADD', KEYS[2], ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  return {'ok', redis.call('HGET', KEYS[1], 'user')}
end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
  redis.call('HSET', KEYS[1], 'revoked', '1')
  return {'reused', redis.call('HGET', KEYS[1], 'user')}
end
return {'unknown'}
`)

// splitRefresh returns the family of a well-formed refresh token.
func splitRefresh(token string) (family string, ok bool) {
	rest, ok := strings.CutPrefix(token, refreshPrefix)
	if !ok || len(token) > 200 {
		return "", false
	}
	family, secret, ok := strings.Cut(rest, ".")
	if !ok || len(family) < 16 || len(secret) < 32 {
		return "", false
	}
	for _, c := range family {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return "", false
		}
	}
	return family, true
}

// rotate exchanges a refresh token for a new one and returns the user it
// belongs to. A retired token revokes its family and answers
// ErrTokenReused. The hash comparison happens in Redis, not in constant
// time; that leaks nothing useful, since learning bits of a SHA-256 does
// not help to find a token with that hash.
func (s *Service) rotate(ctx context.Context, token string) (userID, next string, err error) {
	family, ok := splitRefresh(token)
	if !ok {
		return "", "", fmt.Errorf("refresh token malformed: %w", ErrInvalidToken)
	}
	next = refreshPrefix + family + "." + randomToken(32)
	res, err := rotateScript.Run(ctx, s.rdb, s.familyKeys(family), hashToken(token), hashToken(next),
		s.cfg.RefreshTTL.Milliseconds()).StringSlice()
	if err != nil || len(res) == 0 {
		return "", "", fmt.Errorf("rotate refresh token: %v: %w", err, ErrUnavailable)
	}
	switch res[0] {
	case "ok":
		if len(res) < 2 {
			return "", "", fmt.Errorf("rotate refresh token: family without user: %w", ErrInvalidToken)
		}
		userID, err := s.unseal(s.familyKeys(family)[0], res[1])
		if err != nil {
			return "", "", fmt.Errorf("rotate refresh token: %w", err)
		}
		return userID, next, nil
	case "reused":
		userID, _ := s.unseal(s.familyKeys(family)[0], res[len(res)-1])
		s.log.Warn("a rotated refresh token was used again; the session family is revoked", "user", userID)
		return "", "", fmt.Errorf("rotate refresh token: %w", ErrTokenReused)
	case "revoked":
		return "", "", fmt.Errorf("rotate refresh token: family revoked: %w", ErrTokenReused)
	}
	return "", "", fmt.Errorf("rotate refresh token: unknown token: %w", ErrInvalidToken)
}

// revoke ends the family of a refresh token, as logout does. Only the
// current token may do so; a stranger who knows a family ID cannot log
// its owner out.
func (s *Service) revoke(ctx context.Context, token string) error {
	family, ok := splitRefresh(token)
	if !ok {
		return fmt.Errorf("refresh token malformed: %w", ErrInvalidToken)
	}
	keys := s.familyKeys(family)
	cur, err := s.rdb.HGet(ctx, keys[0], "cur").Result()
	switch {
	case errors.Is(err, redis.Nil):
		return nil // already gone: logging out twice is fine
	case err != nil:
		return fmt.Errorf("revoke refresh family: %v: %w", err, ErrUnavailable)
	case cur != hashToken(token):
		return nil
	}
	if err := s.rdb.HSet(ctx, keys[0], "revoked", "1").Err(); err != nil {
		return fmt.Errorf("revoke refresh family: %v: %w", err, ErrUnavailable)
	}
	return nil
}

// refresh rotates token and issues a new access token from the user's
// current row, so role changes (an approved seller) take effect here.
func (s *Service) refresh(ctx context.Context, token string) (Principal, tokens, error) {
	userID, next, err := s.rotate(ctx, token)
	if err != nil {
		return Principal{}, tokens{}, err
	}
	u, err := s.currentUser(ctx, userID)
	if err != nil {
		return Principal{}, tokens{}, fmt.Errorf("refresh: %w", err)
	}
	p := s.principalOf(u)
	access, err := s.jwt.issueAccess(p, s.cfg.AccessTTL)
	if err != nil {
		return Principal{}, tokens{}, err
	}
	return p, tokens{Access: access, Refresh: next, ExpiresIn: s.cfg.AccessTTL}, nil
}
