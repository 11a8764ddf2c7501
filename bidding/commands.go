package bidding

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/bidcast/bidcast/events"
	"time"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/storage"
)

// Command types: the client message types of the seller commands and
// moderation that Commands runs.
const (
	CommandLotStart   = "lot.start"
	CommandLotPause   = "lot.pause"
	CommandLotResume  = "lot.resume"
	CommandLotEnd     = "lot.end"
	CommandLotSkip    = "lot.skip"
	CommandLotRelist  = "lot.relist"
	CommandModMute    = "mod.mute"
	CommandModBan     = "mod.ban"
	CommandModSlow    = "mod.slow"
	CommandChatDelete = "chat.delete"
)

// EventChatDeleted is the room event published when a chat message is
// deleted.
const EventChatDeleted = "chat.deleted"

// Command is a seller command or a moderation action as the gateway
// checked it. Its fields mirror the gateway's own command, so one converts
// to the other.
type Command struct {
	// Type is one of the Command* types.
	Type string
	// LotID names the lot of a lot command; empty means the room's next
	// pending lot (lot.start) or its current lot (the others).
	LotID string
	// UserID is the target of mod.mute and mod.ban.
	UserID string
	// Seconds is the mute length (mod.mute) or the slow-mode interval
	// (mod.slow; 0 turns slow mode off).
	Seconds int
	// MessageID is the chat message to delete (chat.delete).
	MessageID string
}

// Kinds of CommandError.
var (
	// ErrCommandRefused: the command cannot apply to the room as it is
	// (another lot is running, the lot has bids, no such lot, ...).
	ErrCommandRefused = errors.New("command refused")
	// ErrCommandUnavailable: the room's auction is not running on this node,
	// or could not save the command; retrying may succeed.
	ErrCommandUnavailable = errors.New("command unavailable")
	// ErrUnknownCommand: the command type is not one of the Command* types.
	ErrUnknownCommand = errors.New("unknown command")
)

// CommandError is a command refused for a reason the seller can act on.
// Kind is ErrCommandRefused, ErrCommandUnavailable or ErrUnknownCommand;
// Message is worded for the seller.
type CommandError struct {
	Kind    error
	Message string
}

// Error implements error.
func (e *CommandError) Error() string { return e.Message }

// Unwrap returns the kind.
func (e *CommandError) Unwrap() error { return e.Kind }

func refused(msg string) error     { return &CommandError{Kind: ErrCommandRefused, Message: msg} }
func unavailable(msg string) error { return &CommandError{Kind: ErrCommandUnavailable, Message: msg} }

// Moderation keeps the mute, ban and slow-mode state every gateway node
// enforces, and the room's chat log. signaling.RedisModeration implements it.
type Moderation interface {
	Mute(ctx context.Context, roomID, userID string, d time.Duration) error
	Ban(ctx context.Context, roomID, userID string) error
	SetSlow(ctx context.Context, roomID string, d time.Duration) error
	DeleteChat(ctx context.Context, roomID, messageID string) (bool, error)
}

// Claimer is asked to claim rooms at once instead of at its next scan;
// Node implements it.
type Claimer interface{ Kick() }

// Commands runs seller commands and moderation through the room actor, so
// they are ordered with bids. Mute, ban and slow mode are also written to
// Moderation, where every gateway node enforces them on chat and at bid
// ingress.
//
// A room runs on the node holding its lease. In a single-node deployment
// that is always this node; with several nodes a command reaching a node
// that does not run the room is refused as unavailable (forwarding
// commands between nodes is not built yet). Commands is safe for
// concurrent use.
type Commands struct {
	rooms *Rooms
	node  Claimer
	mod   Moderation
	log   events.Log
	// ClaimWait bounds how long a command waits for a room that just went
	// live to be claimed by this node (default 3s); ClaimPoll is how often
	// it looks (default 50ms).
	ClaimWait, ClaimPoll time.Duration
}

// NewCommands returns the command runner over the rooms this node runs.
func NewCommands(rooms *Rooms, node Claimer, mod Moderation, log events.Log) *Commands {
	return &Commands{rooms: rooms, node: node, mod: mod, log: log,
		ClaimWait: 3 * time.Second, ClaimPoll: 50 * time.Millisecond}
}

// Run applies cmd to the room. It returns a *CommandError when the seller
// should learn why the command was refused.
func (c *Commands) Run(ctx context.Context, roomID string, cmd Command) error {
	if cmd.Type == CommandChatDelete {
		return c.deleteChat(ctx, roomID, cmd.MessageID)
	}
	lr, err := c.liveRoom(ctx, roomID)
	if err != nil {
		return err
	}
	lr.touch()
	actor := lr.Actor()
	switch cmd.Type {
	case CommandLotStart:
		lotID := cmd.LotID
		if lotID == "" {
			next, ok, err := lr.NextPendingLot(ctx)
			if err != nil {
				return err
			}
			if !ok {
				return refused("no lot is waiting in this room's queue")
			}
			lotID = next
		}
		err = lr.StartLot(ctx, lotID)
	case CommandLotPause, CommandLotResume, CommandLotEnd, CommandLotSkip, CommandLotRelist:
		lotID := cmd.LotID
		if lotID == "" {
			if lotID, err = currentLot(ctx, actor); err != nil {
				return err
			}
		}
		err = lotCommand(ctx, actor, cmd.Type, lotID)
	case CommandModMute:
		d := time.Duration(cmd.Seconds) * time.Second
		if err = actor.Mute(ctx, cmd.UserID, d); err == nil {
			err = c.mod.Mute(ctx, roomID, cmd.UserID, d)
		}
	case CommandModBan:
		if err = actor.Ban(ctx, cmd.UserID); err == nil {
			err = c.mod.Ban(ctx, roomID, cmd.UserID)
		}
	case CommandModSlow:
		d := time.Duration(cmd.Seconds) * time.Second
		if err = actor.SetSlowMode(ctx, d); err == nil {
			err = c.mod.SetSlow(ctx, roomID, d)
		}
	default:
		return &CommandError{Kind: ErrUnknownCommand, Message: "unknown command " + cmd.Type}
	}
	return commandError(err)
}

// liveRoom finds the running room, asking the node to wake it if it is
// parked, or to claim it at once when it has only just gone live.
func (c *Commands) liveRoom(ctx context.Context, roomID string) (*LiveRoom, error) {
	if lr, ok := c.rooms.Get(roomID); ok {
		return lr, nil
	}
	if w, ok := c.node.(Waker); ok {
		w.Wake(roomID) // parked: unpark and claim it here
	}
	c.node.Kick()
	deadline := time.Now().Add(c.ClaimWait)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(c.ClaimPoll):
		}
		if lr, ok := c.rooms.Get(roomID); ok {
			return lr, nil
		}
	}
	return nil, unavailable("the room's auction is not running on this server yet; try again")
}

// currentLot is the lot the room is on, for commands that name none.
func currentLot(ctx context.Context, actor *auction.Room) (string, error) {
	snap, err := actor.Snapshot(ctx)
	if err != nil {
		return "", commandError(err)
	}
	if snap.Lot == nil {
		return "", refused("no lot has started in this room")
	}
	return snap.Lot.ID, nil
}

func lotCommand(ctx context.Context, actor *auction.Room, typ, lotID string) error {
	switch typ {
	case CommandLotPause:
		return actor.Pause(ctx, lotID)
	case CommandLotResume:
		return actor.Resume(ctx, lotID)
	case CommandLotEnd:
		return actor.EndEarly(ctx, lotID)
	case CommandLotSkip:
		return actor.Skip(ctx, lotID)
	default:
		return actor.Relist(ctx, lotID)
	}
}

// deleteChat removes a chat message and tells the room.
func (c *Commands) deleteChat(ctx context.Context, roomID, messageID string) error {
	ok, err := c.mod.DeleteChat(ctx, roomID, messageID)
	if err != nil {
		return err
	}
	if !ok {
		return refused("no such chat message in this room")
	}
	data, _ := json.Marshal(map[string]string{"message_id": messageID})
	_, err = c.log.Publish(ctx, events.Event{Type: EventChatDeleted, RoomID: roomID, At: time.Now(), Data: data}, nil)
	return err
}

// commandError maps the actor's and storage's errors to CommandErrors with
// a message a seller can act on.
func commandError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, auction.ErrLotActive):
		return refused("another lot is still running; end or skip it first")
	case errors.Is(err, auction.ErrNoLot):
		return refused("no lot has started in this room")
	case errors.Is(err, auction.ErrWrongLot):
		return refused("that lot is not the room's current lot")
	case errors.Is(err, auction.ErrBadTransition):
		return refused("the lot cannot do that in its current state")
	case errors.Is(err, auction.ErrLotHasBids):
		return refused("the lot has bids; end it instead of skipping")
	case errors.Is(err, auction.ErrInvalidConfig):
		return refused("the lot's settings are invalid: " + err.Error())
	case errors.Is(err, storage.ErrNotFound):
		return refused("no such lot in this room")
	case errors.Is(err, auction.ErrCommit), errors.Is(err, auction.ErrRoomStopped),
		errors.Is(err, context.DeadlineExceeded):
		return unavailable("the auction could not save that; try again")
	}
	return err
}
