package signaling

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/auth"
	"github.com/bidcast/bidcast/events"
)

// handleChat publishes a chat message to the room. The message becomes a
// chat.message room event, so it has a seq, reaches every node in order with
// the bids and is replayed on resume; it is also kept in the room's recent
// chat for snapshots.
func (g *Gateway) handleChat(ctx context.Context, c *conn, env Envelope) error {
	roomID := c.room()
	if roomID == "" {
		return Errorf(CodeNotJoined, "join a room first")
	}
	var d ChatSendData
	if err := decodeData(env, &d); err != nil {
		return err
	}
	if err := validateChat(d.Text, g.cfg.ChatMaxRunes); err != nil {
		return err
	}
	if !c.chatLimit.Allow() {
		return Errorf(CodeRateLimited, "you are sending chat too fast")
	}
	info, err := g.rooms.live(ctx, roomID)
	if err != nil {
		return err
	}
	mod, err := g.roomModeration(ctx, roomID, c.id.UserID)
	if err != nil {
		return err
	}
	seller := isSellerOf(c.id, info)
	switch {
	case !mod.MutedUntil.IsZero() && !seller:
		return Errorf(CodeMuted, "you are muted until "+mod.MutedUntil.UTC().Format(time.RFC3339))
	case mod.Slow > 0 && !seller:
		ok, err := g.rdb.SetNX(ctx, chatGateKey(roomID, c.id.UserID), 1, mod.Slow).Result()
		if err != nil {
			return fmt.Errorf("check slow mode: %w", err)
		}
		if !ok {
			return Errorf(CodeSlowMode, "slow mode: one message every "+formatSeconds(mod.Slow))
		}
	}
	now := g.cfg.Now()
	msg := ChatMessage{MessageID: newMessageID(), DisplayName: c.id.DisplayName, Seller: seller,
		Text: d.Text, At: now.UnixMilli()}
	data, _ := json.Marshal(msg)
	seq, err := g.events.Publish(ctx, events.Event{Type: TypeChatMessage, RoomID: roomID, At: now.UTC(),
		Data: data}, nil)
	if err != nil {
		return err
	}
	msg.Seq = seq
	stored, _ := json.Marshal(chatRecord{ChatMessage: msg, UserID: c.id.UserID})
	// The event is out; if keeping it for snapshots fails, only late joiners
	// miss it, so the sender is not told to retry (which would duplicate it).
	err = g.rdb.XAdd(ctx, &redis.XAddArgs{Stream: ChatKey(roomID), MaxLen: g.cfg.ChatHistory,
		Values: []any{"m", stored}}).Err()
	if err != nil {
		g.log.Warn("keep recent chat", "room", roomID, "err", err)
	} else {
		g.rdb.Expire(ctx, ChatKey(roomID), moderationTTL)
	}
	c.send(encode(TypeAck, env.ID, 0, AckData{MessageID: msg.MessageID, Seq: seq}))
	return nil
}

// validateChat refuses empty, overlong and invisible-trick messages:
// invalid UTF-8, and what auth.VisibleText refuses in display names too
// (control characters, newlines included since chat is one line, and
// format characters such as bidirectional overrides and zero-width spaces).
func validateChat(text string, maxRunes int) error {
	if !utf8.ValidString(text) {
		return Errorf(CodeInvalidChat, "text must be valid UTF-8")
	}
	if !auth.VisibleText(text) {
		return Errorf(CodeInvalidChat, "text must not contain control or invisible formatting characters")
	}
	n := 0
	blank := true
	for _, r := range text {
		n++
		if !unicode.IsSpace(r) {
			blank = false
		}
	}
	switch {
	case blank:
		return Errorf(CodeInvalidChat, "text must not be empty")
	case n > maxRunes:
		return Errorf(CodeInvalidChat, "text is longer than "+strconv.Itoa(maxRunes)+" characters")
	}
	return nil
}

// recentChat returns the room's recent messages up to seq, oldest first;
// later ones reach the client as events after the snapshot.
func (g *Gateway) recentChat(ctx context.Context, roomID string, seq int64) ([]ChatMessage, error) {
	xs, err := g.rdb.XRevRangeN(ctx, ChatKey(roomID), "+", "-", g.cfg.ChatHistory).Result()
	if err != nil {
		return nil, fmt.Errorf("read recent chat of room %s: %w", roomID, err)
	}
	out := make([]ChatMessage, 0, len(xs))
	for _, x := range xs {
		var m chatRecord
		if s, ok := x.Values["m"].(string); !ok || json.Unmarshal([]byte(s), &m) != nil {
			continue
		}
		if m.Seq <= seq {
			out = append(out, m.ChatMessage) // without its author's user ID
		}
	}
	slices.Reverse(out)
	slices.SortStableFunc(out, func(a, b ChatMessage) int { return int(a.Seq - b.Seq) })
	return out, nil
}

// chatRecord is a chat message as the room's recent chat keeps it in
// Redis: with its author's user ID, which only moderation reads.
type chatRecord struct {
	ChatMessage
	UserID string `json:"user_id"`
}

// chatAuthor returns the user who wrote messageID, one of the room's recent
// chat messages, so moderators can name a user by a message of theirs.
func (g *Gateway) chatAuthor(ctx context.Context, roomID, messageID string) (string, error) {
	xs, err := g.rdb.XRevRangeN(ctx, ChatKey(roomID), "+", "-", g.cfg.ChatHistory).Result()
	if err != nil {
		return "", fmt.Errorf("read recent chat of room %s: %w", roomID, err)
	}
	for _, x := range xs {
		var m chatRecord
		if s, ok := x.Values["m"].(string); ok && json.Unmarshal([]byte(s), &m) == nil &&
			m.MessageID == messageID && m.UserID != "" {
			return m.UserID, nil
		}
	}
	return "", Errorf(CodeBadRequest, "message_id names no recent chat message of this room")
}

// newMessageID returns a random 128-bit ID; IDs are made on the server so
// clients cannot collide or forge them.
func newMessageID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
