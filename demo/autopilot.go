package demo

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/storage"
)

// LiveRoom is what the autopilot needs of the demo room's running instance
// (a *bidding.LiveRoom; NewRoom finds it).
type LiveRoom interface {
	// LotRunning reports whether a lot is live, paused or closing.
	LotRunning(ctx context.Context) (bool, error)
	// NextPendingLot is the first pending lot in queue order.
	NextPendingLot(ctx context.Context) (string, bool, error)
	// StartLot starts a pending lot.
	StartLot(ctx context.Context, lotID string) error
}

// Lookup finds the running instance of a room on this node; false while
// the room is not claimed yet.
type Lookup func(roomID string) (LiveRoom, bool)

// Autopilot keeps a lot running in the demo room: at start, and a short
// pause after each lot closes, it starts the next pending lot, adding a
// batch of lots when the queue is empty. It also checks every few seconds,
// so a missed event or a restart never leaves the room idle.
type Autopilot struct {
	db     *storage.DB
	show   Show
	cfg    Config
	lookup Lookup
	log    *slog.Logger
	closed chan struct{} // a demo lot closed; buffered, never blocks
	// Check is how often the room is looked at without an event.
	Check time.Duration
}

// NewAutopilot returns the autopilot of the seeded show.
func NewAutopilot(db *storage.DB, show Show, cfg Config, lookup Lookup, log *slog.Logger) *Autopilot {
	return &Autopilot{db: db, show: show, cfg: cfg.withDefaults(), lookup: lookup, log: log,
		closed: make(chan struct{}, 1), Check: 5 * time.Second}
}

// OnEvent implements events.Subscriber: it sees the room events and notes
// when a demo lot closes. It never blocks.
func (a *Autopilot) OnEvent(roomID string, e auction.Event) {
	if roomID != a.show.RoomID || e.Type != auction.EventLotClosed {
		return
	}
	select {
	case a.closed <- struct{}{}:
	default:
	}
}

// Run keeps the demo going until ctx ends.
func (a *Autopilot) Run(ctx context.Context) {
	tick := time.NewTicker(a.Check)
	defer tick.Stop()
	for {
		if err := a.ensureLot(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("demo: starting a lot failed; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-a.closed:
			// Let the result stay up a moment before the next lot.
			select {
			case <-ctx.Done():
				return
			case <-time.After(a.cfg.Pause):
			}
		case <-tick.C:
		}
	}
}

// ensureLot starts the next lot if the room runs none.
func (a *Autopilot) ensureLot(ctx context.Context) error {
	lr, ok := a.lookup(a.show.RoomID)
	if !ok {
		return nil // not claimed yet; the next check tries again
	}
	running, err := lr.LotRunning(ctx)
	if err != nil {
		return fmt.Errorf("demo room state: %w", err)
	}
	if running {
		return nil
	}
	next, ok, err := lr.NextPendingLot(ctx)
	if err != nil {
		return fmt.Errorf("next demo lot: %w", err)
	}
	if !ok {
		ids, err := AddLots(ctx, a.db, a.show, a.cfg)
		if err != nil {
			return err
		}
		next = ids[0]
	}
	if err := lr.StartLot(ctx, next); err != nil {
		return fmt.Errorf("start demo lot %s: %w", next, err)
	}
	a.log.Info("demo: lot started", "room", a.show.RoomID, "lot", next)
	return nil
}
