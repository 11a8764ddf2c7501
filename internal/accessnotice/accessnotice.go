// Package accessnotice carries "someone's rights changed" notices between
// the places that change rights (roles, site and room bans, a room's
// privacy) and every node's WebSocket gateway, over one Redis pub/sub
// channel. A notice says only who or what changed, never the new rights:
// the receiver reloads them from Postgres (or Redis, for room bans), so a
// forged or replayed notice can at most make a gateway re-check.
package accessnotice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// Channel is the Redis pub/sub channel of access notices, shared by all
// nodes.
const Channel = "bidcast:access"

// Notice names what changed. UserID alone: the user's role or site-wide
// ban. RoomID alone: the room's privacy (or seller). Both: the user's
// standing in that room (a room ban).
type Notice struct {
	UserID string `json:"user_id,omitempty"`
	RoomID string `json:"room_id,omitempty"`
}

// errEmpty is a notice that names nothing.
var errEmpty = errors.New("accessnotice: a notice names a user, a room or both")

// Publisher is the part of a Redis client Publish needs.
type Publisher interface {
	Publish(ctx context.Context, channel string, message any) *redis.IntCmd
}

// Publish sends n to every node. A nil client is allowed and does nothing
// (a process without Redis has no open sockets to tell).
func Publish(ctx context.Context, rdb Publisher, n Notice) error {
	if n.UserID == "" && n.RoomID == "" {
		return errEmpty
	}
	if rdb == nil {
		return nil
	}
	b, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("encode access notice: %w", err)
	}
	if err := rdb.Publish(ctx, Channel, b).Err(); err != nil {
		return fmt.Errorf("publish access notice: %w", err)
	}
	return nil
}

// Parse decodes a notice received on Channel.
func Parse(payload string) (Notice, error) {
	var n Notice
	if err := json.Unmarshal([]byte(payload), &n); err != nil {
		return Notice{}, fmt.Errorf("decode access notice: %w", err)
	}
	if n.UserID == "" && n.RoomID == "" {
		return Notice{}, errEmpty
	}
	return n, nil
}
