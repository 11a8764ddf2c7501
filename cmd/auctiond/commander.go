package main

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/bidding"
	"github.com/bidcast/bidcast/events"
	"github.com/bidcast/bidcast/signaling"
	"github.com/bidcast/bidcast/storage"
)

// commander runs seller commands and moderation from the WebSocket through
// the room actor, so they are ordered with bids. Mute, ban and slow mode
// are also written to Redis, where every gateway node enforces them on
// chat and at bid ingress.
//
// A room runs on the node holding its lease. In a single-node deployment
// that is always this node; with several nodes a command reaching a node
// that does not run the room is refused as unavailable (forwarding
// commands between nodes is not built yet).
type commander struct {
	rooms  *bidding.Rooms
	node   *bidding.Node
	mod    *signaling.RedisModeration
	events events.Log
	// claimWait bounds how long a command waits for a room that just went
	// live to be claimed by this node.
	claimWait time.Duration
}

var _ signaling.Commander = (*commander)(nil)

// Command implements signaling.Commander.
func (c *commander) Command(ctx context.Context, roomID string, _ signaling.Identity, cmd signaling.Command) error {
	if cmd.Type == signaling.TypeChatDelete {
		return c.deleteChat(ctx, roomID, cmd.MessageID)
	}
	lr, err := c.liveRoom(ctx, roomID)
	if err != nil {
		return err
	}
	actor := lr.Actor()
	switch cmd.Type {
	case signaling.TypeLotStart:
		lotID := cmd.LotID
		if lotID == "" {
			next, ok, err := lr.NextPendingLot(ctx)
			if err != nil {
				return err
			}
			if !ok {
				return signaling.Errorf(signaling.CodeConflict, "no lot is waiting in this room's queue")
			}
			lotID = next
		}
		err = lr.StartLot(ctx, lotID)
	case signaling.TypeLotPause, signaling.TypeLotResume, signaling.TypeLotEnd, signaling.TypeLotSkip,
		signaling.TypeLotRelist:
		lotID := cmd.LotID
		if lotID == "" {
			if lotID, err = currentLot(ctx, actor); err != nil {
				return err
			}
		}
		err = lotCommand(ctx, actor, cmd.Type, lotID)
	case signaling.TypeModMute:
		d := time.Duration(cmd.Seconds) * time.Second
		if err = actor.Mute(ctx, cmd.UserID, d); err == nil {
			err = c.mod.Mute(ctx, roomID, cmd.UserID, d)
		}
	case signaling.TypeModBan:
		if err = actor.Ban(ctx, cmd.UserID); err == nil {
			err = c.mod.Ban(ctx, roomID, cmd.UserID)
		}
	case signaling.TypeModSlow:
		d := time.Duration(cmd.Seconds) * time.Second
		if err = actor.SetSlowMode(ctx, d); err == nil {
			err = c.mod.SetSlow(ctx, roomID, d)
		}
	default:
		return signaling.Errorf(signaling.CodeBadRequest, "unknown command "+cmd.Type)
	}
	return commandError(err)
}

// liveRoom finds the running room, asking the node to claim it at once
// when it has only just gone live.
func (c *commander) liveRoom(ctx context.Context, roomID string) (*bidding.LiveRoom, error) {
	if lr, ok := c.rooms.Get(roomID); ok {
		return lr, nil
	}
	c.node.Kick()
	deadline := time.Now().Add(c.claimWait)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if lr, ok := c.rooms.Get(roomID); ok {
			return lr, nil
		}
	}
	return nil, signaling.Errorf(signaling.CodeUnavailable, "the room's auction is not running on this server yet; try again")
}

// currentLot is the lot the room is on, for commands that name none.
func currentLot(ctx context.Context, actor *auction.Room) (string, error) {
	snap, err := actor.Snapshot(ctx)
	if err != nil {
		return "", commandError(err)
	}
	if snap.Lot == nil {
		return "", signaling.Errorf(signaling.CodeConflict, "no lot has started in this room")
	}
	return snap.Lot.ID, nil
}

func lotCommand(ctx context.Context, actor *auction.Room, typ, lotID string) error {
	switch typ {
	case signaling.TypeLotPause:
		return actor.Pause(ctx, lotID)
	case signaling.TypeLotResume:
		return actor.Resume(ctx, lotID)
	case signaling.TypeLotEnd:
		return actor.EndEarly(ctx, lotID)
	case signaling.TypeLotSkip:
		return actor.Skip(ctx, lotID)
	default:
		return actor.Relist(ctx, lotID)
	}
}

// deleteChat removes a chat message and tells the room.
func (c *commander) deleteChat(ctx context.Context, roomID, messageID string) error {
	ok, err := c.mod.DeleteChat(ctx, roomID, messageID)
	if err != nil {
		return err
	}
	if !ok {
		return signaling.Errorf(signaling.CodeConflict, "no such chat message in this room")
	}
	data, _ := json.Marshal(map[string]string{"message_id": messageID})
	_, err = c.events.Publish(ctx, events.Event{Type: signaling.TypeChatDeleted, RoomID: roomID,
		At: time.Now(), Data: data}, nil)
	return err
}

// commandError maps the actor's and storage's errors to the gateway's
// stable codes, with a message a seller can act on.
func commandError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, auction.ErrLotActive):
		return signaling.Errorf(signaling.CodeConflict, "another lot is still running; end or skip it first")
	case errors.Is(err, auction.ErrNoLot):
		return signaling.Errorf(signaling.CodeConflict, "no lot has started in this room")
	case errors.Is(err, auction.ErrWrongLot):
		return signaling.Errorf(signaling.CodeConflict, "that lot is not the room's current lot")
	case errors.Is(err, auction.ErrBadTransition):
		return signaling.Errorf(signaling.CodeConflict, "the lot cannot do that in its current state")
	case errors.Is(err, auction.ErrLotHasBids):
		return signaling.Errorf(signaling.CodeConflict, "the lot has bids; end it instead of skipping")
	case errors.Is(err, auction.ErrInvalidConfig):
		return signaling.Errorf(signaling.CodeConflict, "the lot's settings are invalid: "+err.Error())
	case errors.Is(err, storage.ErrNotFound):
		return signaling.Errorf(signaling.CodeConflict, "no such lot in this room")
	case errors.Is(err, auction.ErrCommit), errors.Is(err, auction.ErrRoomStopped),
		errors.Is(err, context.DeadlineExceeded):
		return signaling.Errorf(signaling.CodeUnavailable, "the auction could not save that; try again")
	}
	return err
}
