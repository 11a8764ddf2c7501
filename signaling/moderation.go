package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/internal/accessnotice"
)

// Redis keys of a room's moderation and chat state. They share the room's
// hash tag {id} with the bidding keys, so a Lua script may touch them all.
//
//   - MutedKey(room, user): exists while the user is muted; value is the
//     Unix second the mute ends, TTL the mute's length.
//   - BannedKey(room): set of banned user IDs, kept 48 hours after the
//     last change (longer than any show).
//   - SlowKey(room): the slow-mode interval in seconds; absent means off.
//   - chatGateKey(room, user): set for the slow-mode interval after a
//     user's message (SET NX PX), on whichever node they chat.
//   - ChatKey(room): capped stream of recent chat messages for snapshots.
//   - viewersKey(room): hash of node ID → "count:expiresUnixMilli".
func MutedKey(roomID, userID string) string { return "bidcast:{" + roomID + "}:mod:muted:" + userID }

// BannedKey is the set of users banned from a room.
func BannedKey(roomID string) string { return "bidcast:{" + roomID + "}:mod:banned" }

// SlowKey holds a room's slow-mode interval in seconds.
func SlowKey(roomID string) string { return "bidcast:{" + roomID + "}:mod:slow" }

// ChatKey is the capped stream of a room's recent chat messages.
func ChatKey(roomID string) string { return "bidcast:{" + roomID + "}:chat" }

func chatGateKey(roomID, userID string) string {
	return "bidcast:{" + roomID + "}:chat:gate:" + userID
}

func viewersKey(roomID string) string { return "bidcast:{" + roomID + "}:viewers" }

// moderationTTL bounds how long room moderation state outlives its show.
const moderationTTL = 48 * time.Hour

// UserModeration is what moderation says about one user in one room.
type UserModeration struct {
	Banned     bool
	MutedUntil time.Time // zero if not muted
	Slow       time.Duration
}

// ModerationState reads moderation; the gateway consults it before chat,
// bids and joins. RedisModeration implements it.
type ModerationState interface {
	State(ctx context.Context, roomID, userID string) (UserModeration, error)
}

// RedisModeration keeps mute, ban and slow-mode state in Redis. The
// Commander writes it (from the room actor, so moderation is ordered with
// bids); every gateway node reads it.
type RedisModeration struct{ rdb redis.UniversalClient }

var _ ModerationState = (*RedisModeration)(nil)

// NewRedisModeration returns moderation state over rdb.
func NewRedisModeration(rdb redis.UniversalClient) *RedisModeration {
	return &RedisModeration{rdb: rdb}
}

// Mute silences userID in roomID for d.
func (m *RedisModeration) Mute(ctx context.Context, roomID, userID string, d time.Duration) error {
	until := time.Now().Add(d).Unix()
	if err := m.rdb.Set(ctx, MutedKey(roomID, userID), until, d).Err(); err != nil {
		return fmt.Errorf("mute %s in room %s: %w", userID, roomID, err)
	}
	return nil
}

// Unmute lifts a mute early.
func (m *RedisModeration) Unmute(ctx context.Context, roomID, userID string) error {
	if err := m.rdb.Del(ctx, MutedKey(roomID, userID)).Err(); err != nil {
		return fmt.Errorf("unmute %s in room %s: %w", userID, roomID, err)
	}
	return nil
}

// Ban bars userID from roomID: no joining, watching, chatting or bidding.
// Open connections of the user in the room are closed on every node.
func (m *RedisModeration) Ban(ctx context.Context, roomID, userID string) error {
	_, err := m.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.SAdd(ctx, BannedKey(roomID), userID)
		p.Expire(ctx, BannedKey(roomID), moderationTTL)
		return nil
	})
	if err != nil {
		return fmt.Errorf("ban %s from room %s: %w", userID, roomID, err)
	}
	// Every node closes the user's open connections to the room at once.
	if err := accessnotice.Publish(ctx, m.rdb, accessnotice.Notice{UserID: userID, RoomID: roomID}); err != nil {
		return fmt.Errorf("ban %s from room %s: %w", userID, roomID, err)
	}
	return nil
}

// Unban lifts a ban.
func (m *RedisModeration) Unban(ctx context.Context, roomID, userID string) error {
	if err := m.rdb.SRem(ctx, BannedKey(roomID), userID).Err(); err != nil {
		return fmt.Errorf("unban %s from room %s: %w", userID, roomID, err)
	}
	return nil
}

// SetSlow sets the room's slow-mode interval; zero turns it off.
func (m *RedisModeration) SetSlow(ctx context.Context, roomID string, d time.Duration) error {
	var err error
	if d <= 0 {
		err = m.rdb.Del(ctx, SlowKey(roomID)).Err()
	} else {
		err = m.rdb.Set(ctx, SlowKey(roomID), int64(d/time.Second), moderationTTL).Err()
	}
	if err != nil {
		return fmt.Errorf("set slow mode of room %s: %w", roomID, err)
	}
	return nil
}

// IsMuted reports whether userID is muted in roomID.
func (m *RedisModeration) IsMuted(ctx context.Context, roomID, userID string) (bool, error) {
	s, err := m.State(ctx, roomID, userID)
	return !s.MutedUntil.IsZero(), err
}

// IsBanned reports whether userID is banned from roomID.
func (m *RedisModeration) IsBanned(ctx context.Context, roomID, userID string) (bool, error) {
	s, err := m.State(ctx, roomID, userID)
	return s.Banned, err
}

// SlowMode returns the room's slow-mode interval (zero when off).
func (m *RedisModeration) SlowMode(ctx context.Context, roomID string) (time.Duration, error) {
	s, err := m.State(ctx, roomID, "")
	return s.Slow, err
}

// State reads everything in one round trip.
func (m *RedisModeration) State(ctx context.Context, roomID, userID string) (UserModeration, error) {
	var muted *redis.StringCmd
	var banned *redis.BoolCmd
	var slow *redis.StringCmd
	_, err := m.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		muted = p.Get(ctx, MutedKey(roomID, userID))
		banned = p.SIsMember(ctx, BannedKey(roomID), userID)
		slow = p.Get(ctx, SlowKey(roomID))
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return UserModeration{}, fmt.Errorf("read moderation of room %s: %w", roomID, err)
	}
	var s UserModeration
	s.Banned = banned.Val()
	if v, err := muted.Int64(); err == nil && userID != "" {
		s.MutedUntil = time.Unix(v, 0)
	}
	if v, err := slow.Int64(); err == nil && v > 0 {
		s.Slow = time.Duration(v) * time.Second
	}
	return s, nil
}

// DeleteChat removes a message from the room's recent chat, so snapshots no
// longer show it, and reports whether it was there. The Commander calls it
// for chat.delete and then publishes a chat.deleted event.
func (m *RedisModeration) DeleteChat(ctx context.Context, roomID, messageID string) (bool, error) {
	msgs, err := m.rdb.XRange(ctx, ChatKey(roomID), "-", "+").Result()
	if err != nil {
		return false, fmt.Errorf("read chat of room %s: %w", roomID, err)
	}
	for _, x := range msgs {
		var cm ChatMessage
		if json.Unmarshal([]byte(fmt.Sprint(x.Values["m"])), &cm) != nil || cm.MessageID != messageID {
			continue
		}
		if err := m.rdb.XDel(ctx, ChatKey(roomID), x.ID).Err(); err != nil {
			return false, fmt.Errorf("delete chat message %s: %w", messageID, err)
		}
		return true, nil
	}
	return false, nil
}

// formatSeconds is for messages such as "slow mode: one message every 30s".
func formatSeconds(d time.Duration) string { return strconv.Itoa(int(d/time.Second)) + "s" }
