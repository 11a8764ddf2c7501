package bidding

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/storage"
)

// What parking (park.go) asks of a running room: how long it has been
// idle, what it has decided, and how to end it when its seller never
// comes back.

var (
	_ Parkable  = (*LiveRoom)(nil)
	_ Abandoner = (*LiveRoom)(nil)
)

// touch records activity now (a claim, a batch of bids, a seller command).
func (r *LiveRoom) touch() { r.active.Store(r.m.cfg.Clock.Now().UnixNano()) }

// Activity implements Parkable: the last claim, batch of bids or seller
// command, and whether the room's lot has its clock running (live or
// closing; a paused lot's clock is stopped).
func (r *LiveRoom) Activity(ctx context.Context) (time.Time, bool, error) {
	last := time.Unix(0, r.active.Load())
	snap, err := r.actor.Snapshot(ctx)
	if err != nil {
		return last, false, fmt.Errorf("snapshot of room %s: %w", r.id, err)
	}
	running := snap.Lot != nil && (snap.Lot.Status == auction.StatusLive || snap.Lot.Status == auction.StatusClosing)
	return last, running, nil
}

// Applied implements Parkable: the last ingress sequence number the room's
// pipeline decided.
func (r *LiveRoom) Applied() int64 {
	if p := r.drainer.Load(); p != nil {
		return p.seq.applied.Load()
	}
	return 0
}

// Abandon implements Abandoner: the open lot ends early, as the seller's
// lot.end would (a paused lot closes at once, a live one after its grace;
// sold to its leader if the reserve is met, else unsold), and once it has
// closed the room is marked ended.
func (r *LiveRoom) Abandon(ctx context.Context) error {
	snap, err := r.actor.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("snapshot of room %s: %w", r.id, err)
	}
	if lot := snap.Lot; lot != nil && (lot.Status == auction.StatusLive || lot.Status == auction.StatusPaused) {
		if err := r.actor.EndEarly(ctx, lot.ID); err != nil && !errors.Is(err, auction.ErrBadTransition) {
			return fmt.Errorf("end lot %s of abandoned room %s: %w", lot.ID, r.id, err)
		}
	}
	for {
		open, err := r.LotRunning(ctx)
		if err != nil {
			return err
		}
		if !open {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("close the lot of abandoned room %s: %w", r.id, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if _, err := r.m.rooms.SetStatus(ctx, r.id, storage.RoomEnded); err != nil {
		return fmt.Errorf("end abandoned room %s: %w", r.id, err)
	}
	r.log.Info("abandoned room ended")
	return nil
}
