package signaling

import (
	"context"
)

// Command is a seller command or a moderation action, passed to the room
// actor as the client sent it.
type Command struct {
	// Type is the client message type: lot.start, lot.pause, lot.resume,
	// lot.end, lot.skip, lot.relist, mod.mute, mod.ban, mod.slow or
	// chat.delete.
	Type string
	// LotID is set for lot commands that name a lot.
	LotID string
	// UserID is the target of mod.mute and mod.ban. When the client named
	// the target by a chat message, the gateway has looked its author up.
	UserID string
	// Seconds is the mute length (mod.mute) or the slow-mode interval
	// (mod.slow; 0 turns slow mode off).
	Seconds int
	// MessageID is the chat message to delete (chat.delete).
	MessageID string
}

// Commander runs seller commands and moderation through the room actor on
// the room's owner node, so they are ordered with bids. It returns an *Error
// (forbidden, conflict, ...) when the client should learn why a command was
// refused. The gateway has already checked that the room is live and that
// from is its seller or an admin; the Commander decides the rest.
//
// Its effects reach clients as room events it publishes (lot.started,
// chat.deleted, ...); mute, ban and slow mode are also written to the Redis
// keys that RedisModeration reads.
type Commander interface {
	Command(ctx context.Context, roomID string, from Identity, cmd Command) error
}

// Commands the gateway forwards to the Commander.
var commandTypes = map[string]bool{
	TypeLotStart: true, TypeLotPause: true, TypeLotResume: true, TypeLotEnd: true, TypeLotSkip: true,
	TypeLotRelist: true, TypeModMute: true, TypeModBan: true, TypeModSlow: true, TypeChatDelete: true,
}

// maxModerationSeconds bounds mute and slow-mode lengths (one day).
const maxModerationSeconds = 86400

// handleCommand checks a seller or moderation command and passes it on.
func (g *Gateway) handleCommand(ctx context.Context, c *conn, env Envelope) error {
	roomID := c.room()
	if roomID == "" {
		return Errorf(CodeNotJoined, "join a room first")
	}
	cmd := Command{Type: env.Type}
	switch env.Type {
	case TypeModMute, TypeModBan, TypeModSlow, TypeChatDelete:
		var d ModerationData
		if err := decodeData(env, &d); err != nil {
			return err
		}
		cmd.UserID, cmd.Seconds, cmd.MessageID = d.UserID, d.Seconds, d.MessageID
	default:
		var d LotData
		if err := decodeData(env, &d); err != nil {
			return err
		}
		cmd.LotID = d.LotID
	}
	if err := validateCommand(cmd); err != nil {
		return err
	}
	room, err := g.rooms.live(ctx, roomID)
	if err != nil {
		return err
	}
	if !g.stillSellerOf(ctx, c, room) {
		return Errorf(CodeForbidden, "only the room's seller may do that")
	}
	if g.commander == nil {
		return Errorf(CodeUnavailable, "room commands are not available on this server")
	}
	if (cmd.Type == TypeModMute || cmd.Type == TypeModBan) && cmd.UserID == "" {
		// Pages never see user IDs: they name the author of a message.
		if cmd.UserID, err = g.chatAuthor(ctx, roomID, cmd.MessageID); err != nil {
			return err
		}
		cmd.MessageID = ""
	}
	if err := g.commander.Command(ctx, roomID, c.id, cmd); err != nil {
		return err
	}
	c.send(encode(TypeAck, env.ID, 0, AckData{RoomID: roomID}))
	return nil
}

// validateCommand checks a command's fields before it costs the actor time.
func validateCommand(cmd Command) error {
	switch cmd.Type {
	case TypeLotStart, TypeLotRelist:
		if cmd.LotID == "" || len(cmd.LotID) > 64 {
			return Errorf(CodeBadRequest, "lot_id is required")
		}
	case TypeModMute:
		if !namesUser(cmd) || cmd.Seconds <= 0 || cmd.Seconds > maxModerationSeconds {
			return Errorf(CodeBadRequest, "user_id or message_id, and seconds (1 to 86400), are required")
		}
	case TypeModBan:
		if !namesUser(cmd) {
			return Errorf(CodeBadRequest, "user_id or message_id is required")
		}
	case TypeModSlow:
		if cmd.Seconds < 0 || cmd.Seconds > maxModerationSeconds {
			return Errorf(CodeBadRequest, "seconds must be 0 (off) to 86400")
		}
	case TypeChatDelete:
		if cmd.MessageID == "" || len(cmd.MessageID) > 64 {
			return Errorf(CodeBadRequest, "message_id is required")
		}
	}
	return nil
}

// namesUser reports whether a mute or ban names its target: by user ID, or
// by one of the user's chat messages.
func namesUser(cmd Command) bool {
	return cmd.UserID != "" || cmd.MessageID != "" && len(cmd.MessageID) <= 64
}
