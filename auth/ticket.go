package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// WebSocket tickets exist because browsers cannot set an Authorization
// header on a WebSocket, and putting the access token itself in the URL
// would leave a 15-minute credential in proxy logs. A ticket is random,
// good for one upgrade and lives TicketTTL (30 s): the page asks for one
// (POST /auth/ticket, cookie-authenticated) just before connecting and
// passes it in the URL.
const ticketPrefix = "wst_"

func (s *Service) ticketKey(ticket string) string {
	return s.cfg.RedisPrefix + "ticket:" + hashToken(ticket)
}

// IssueTicket returns a single-use WebSocket ticket for p, valid for
// TicketTTL. Anonymous principals get none: a viewer without an account
// connects without a ticket.
func (s *Service) IssueTicket(ctx context.Context, p Principal) (string, error) {
	if p.Anonymous() {
		return "", fmt.Errorf("issue ticket: %w", ErrUnauthorized)
	}
	ticket := ticketPrefix + randomToken(32)
	key := s.ticketKey(ticket)
	rec := s.seal(key, p.UserID, s.cfg.Now().Add(s.cfg.TicketTTL))
	if err := s.rdb.Set(ctx, key, rec, s.cfg.TicketTTL).Err(); err != nil {
		return "", fmt.Errorf("store ticket: %v: %w", err, ErrUnavailable)
	}
	return ticket, nil
}

// RedeemTicket returns the Principal a ticket was issued to, as the user
// stands in Postgres now (role, guest flag), and deletes the ticket in the
// same Redis command (GETDEL), so two upgrades racing with one ticket
// cannot both succeed. An unknown, used, expired or forged ticket, or one
// whose user was removed, is ErrInvalidToken.
func (s *Service) RedeemTicket(ctx context.Context, ticket string) (Principal, error) {
	if !strings.HasPrefix(ticket, ticketPrefix) || len(ticket) > 100 {
		return Principal{}, fmt.Errorf("redeem ticket: malformed: %w", ErrInvalidToken)
	}
	key := s.ticketKey(ticket)
	raw, err := s.rdb.GetDel(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return Principal{}, fmt.Errorf("redeem ticket: unknown, used or expired: %w", ErrInvalidToken)
	} else if err != nil {
		return Principal{}, fmt.Errorf("redeem ticket: %v: %w", err, ErrUnavailable)
	}
	userID, err := s.unseal(key, raw)
	if err != nil {
		return Principal{}, fmt.Errorf("redeem ticket: %w", err)
	}
	u, err := s.currentUser(ctx, userID)
	if err != nil {
		return Principal{}, fmt.Errorf("redeem ticket: %w", err)
	}
	return s.principalOf(u), nil
}
