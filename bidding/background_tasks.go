package bidding

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/storage"
)

// errLotOverdue makes Asynq retry a close backstop whose lot is still open
// past its deadline, while the room's owner is being asked to close it.
var errLotOverdue = errors.New("lot still open past its deadline")

// handleClose is the close backstop. A lot that is paused or gone needs
// nothing. A lot whose deadline moved later (bids extended it) gets a new
// backstop at the new deadline. A lot still open past deadline + grace +
// margin means its room has no working owner: the node claims the room if
// nobody owns it, or restarts it if it is its own (the restored actor
// closes the overdue lot), and the task retries until it is closed.
//
// A sold or unsold lot has its won, sold or unsold notifications queued
// again by the backstop of its last deadline, and its lot.closed event
// replayed (BackgroundConfig.Replay). The event that queues them is
// published after the close commits, so a crash (or a commit whose answer
// was lost) in between would otherwise leave the winner unaware; the task
// IDs and the stored notifications' keys are the event's, so a lot
// notified already is not notified twice.
func (b *Background) handleClose(ctx context.Context, t *asynq.Task) error {
	var p closePayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("close backstop payload: %v: %w", err, asynq.SkipRetry)
	}
	lot, err := b.lots.Get(ctx, p.LotID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("close backstop of lot %s: %w", p.LotID, err)
	}
	if lot.State == string(auction.StatusSold) || lot.State == string(auction.StatusUnsold) {
		if lot.Deadline == nil || lot.Deadline.UnixMilli() != p.DeadlineMS {
			return nil // the backstop of an earlier deadline: the last one notifies
		}
		return b.notifyStoredClose(ctx, lot)
	}
	if (lot.State != "live" && lot.State != "closing") || lot.Deadline == nil {
		return nil
	}
	due := lot.Deadline.Add(b.cfg.Grace + b.cfg.CloseMargin)
	if time.Now().Before(due) {
		b.scheduleClose(lot.RoomID, lot.ID, *lot.Deadline)
		return nil
	}
	owner, err := Owner(ctx, b.rdb, lot.RoomID)
	if err != nil {
		return fmt.Errorf("close backstop of lot %s: %w", p.LotID, err)
	}
	switch owner {
	case "":
		b.log.Warn("lot overdue and its room has no owner; claiming it", "room", lot.RoomID, "lot", lot.ID,
			"deadline", *lot.Deadline)
		b.cfg.Kick()
	case b.cfg.NodeID:
		b.log.Warn("lot overdue in a room of this node; restarting the room", "room", lot.RoomID, "lot", lot.ID,
			"deadline", *lot.Deadline)
		b.cfg.Restart(lot.RoomID)
	default:
		b.log.Warn("lot overdue in a room owned by another node", "room", lot.RoomID, "lot", lot.ID, "owner", owner)
	}
	return fmt.Errorf("lot %s (%s since %s): %w", lot.ID, lot.State, lot.Deadline.Format(time.RFC3339), errLotOverdue)
}

// notifyStoredClose queues the notifications of a closed lot from its
// stored result, as its lot.closed event does.
func (b *Background) notifyStoredClose(ctx context.Context, lot storage.Lot) error {
	res, err := b.lots.GetResult(ctx, lot.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("close backstop of lot %s: %w", lot.ID, err)
	}
	e := auction.Event{Type: auction.EventLotClosed, RoomID: lot.RoomID, LotID: lot.ID, Currency: res.Currency,
		Result: resultFromStorage(res)}
	b.notifyClosed(lot.RoomID, e)
	if b.cfg.Replay != nil {
		b.cfg.Replay.OnEvent(lot.RoomID, e)
	}
	return nil
}

// handleNotify stores one notification, once per key.
func (b *Background) handleNotify(ctx context.Context, t *asynq.Task) error {
	var p notifyPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("notification payload: %v: %w", err, asynq.SkipRetry)
	}
	if p.UserID == "" {
		room, err := b.rooms.Get(ctx, p.RoomID)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("seller of room %s: %w", p.RoomID, err)
		}
		p.UserID = room.SellerID
	}
	_, err := b.notes.Add(ctx, storage.Notification{UserID: p.UserID, Kind: p.Kind, RoomID: p.RoomID, LotID: p.LotID,
		Amount: p.Amount, Currency: p.Currency, DedupeKey: p.Key})
	if err != nil {
		return fmt.Errorf("%s notification: %w", p.Kind, err)
	}
	return nil
}
