package auth

import (
	"context"
	"encoding/json"
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

// ticketRecord is what Redis keeps under the ticket's hash.
type ticketRecord struct {
	UserID      string `json:"u"`
	DisplayName string `json:"n"`
	Role        string `json:"r"`
	Guest       bool   `json:"g,omitempty"`
}

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
	rec, err := json.Marshal(ticketRecord{UserID: p.UserID, DisplayName: p.DisplayName, Role: p.Role, Guest: p.Guest})
	if err != nil {
		return "", fmt.Errorf("issue ticket: %w", err)
	}
	ticket := ticketPrefix + randomToken(32)
	if err := s.rdb.Set(ctx, s.ticketKey(ticket), rec, s.cfg.TicketTTL).Err(); err != nil {
		return "", fmt.Errorf("store ticket: %v: %w", err, ErrUnavailable)
	}
	return ticket, nil
}

// RedeemTicket returns the Principal a ticket was issued to and deletes
// it in the same Redis command (GETDEL), so two upgrades racing with one
// ticket cannot both succeed. An unknown, used or expired ticket is
// ErrInvalidToken.
func (s *Service) RedeemTicket(ctx context.Context, ticket string) (Principal, error) {
	if !strings.HasPrefix(ticket, ticketPrefix) || len(ticket) > 100 {
		return Principal{}, fmt.Errorf("redeem ticket: malformed: %w", ErrInvalidToken)
	}
	raw, err := s.rdb.GetDel(ctx, s.ticketKey(ticket)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Principal{}, fmt.Errorf("redeem ticket: unknown, used or expired: %w", ErrInvalidToken)
	} else if err != nil {
		return Principal{}, fmt.Errorf("redeem ticket: %v: %w", err, ErrUnavailable)
	}
	var rec ticketRecord
	if err := json.Unmarshal(raw, &rec); err != nil || rec.UserID == "" {
		return Principal{}, fmt.Errorf("redeem ticket: corrupt record: %w", ErrInvalidToken)
	}
	return s.stamp(Principal{UserID: rec.UserID, DisplayName: rec.DisplayName, Role: rec.Role, Guest: rec.Guest}), nil
}
