package auction

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// commitLot commits ns as the current lot's next state. On success it
// becomes the state in memory; on failure nothing changes and the error
// wraps ErrCommit.
func (r *Room) commitLot(ctx context.Context, ns LotState) error {
	sctx, cancel := r.storeCtx(ctx)
	err := r.store.CommitLot(sctx, ns)
	cancel()
	if err != nil {
		return fmt.Errorf("%w: lot %s %s: %w", ErrCommit, ns.LotID, ns.Status, err)
	}
	return nil
}

// current returns the current lot if it is lotID, or an error saying why
// not.
func (r *Room) current(lotID string) (*lotRun, error) {
	if r.cur == nil {
		return nil, ErrNoLot
	}
	if r.cur.lot.ID != lotID {
		return nil, fmt.Errorf("%w: %s (current is %s)", ErrWrongLot, lotID, r.cur.lot.ID)
	}
	return r.cur, nil
}

// currentIn returns the current lot if it is lotID and in one of the
// statuses allowed, or an error saying why not (verb names the command).
func (r *Room) currentIn(lotID, verb string, allowed ...LotStatus) (*lotRun, error) {
	c, err := r.current(lotID)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(allowed, c.st.Status) {
		return nil, fmt.Errorf("%w: %s a %s lot", ErrBadTransition, verb, c.st.Status)
	}
	return c, nil
}

// advance commits ns, the next state of the current lot c, one version
// on. Once committed it becomes c's state and an event of type typ
// announces it; on failure nothing changes and the error wraps ErrCommit.
func (r *Room) advance(ctx context.Context, now time.Time, c *lotRun, ns LotState, typ string) error {
	ns.Version++
	if err := r.commitLot(ctx, ns); err != nil {
		return err
	}
	c.st = ns
	r.emit(now, r.lotEvent(typ))
	return nil
}

// startLot makes lot live with a full clock.
func (r *Room) startLot(ctx context.Context, now time.Time, lot Lot) error {
	if err := lot.Validate(); err != nil {
		return err
	}
	if r.cur != nil {
		if r.cur.st.Status.Active() {
			return fmt.Errorf("%w: %s is %s", ErrLotActive, r.cur.lot.ID, r.cur.st.Status)
		}
		if r.cur.lot.ID == lot.ID {
			return fmt.Errorf("%w: lot %s already ran; relist it", ErrBadTransition, lot.ID)
		}
	}
	return r.goLive(ctx, now, lot, lot.Version)
}

// goLive commits and announces a fresh live run of lot, after version.
func (r *Room) goLive(ctx context.Context, now time.Time, lot Lot, version int64) error {
	ns := LotState{
		RoomID: r.cfg.RoomID, LotID: lot.ID, Status: StatusLive, Version: version + 1,
		Deadline: now.Add(lot.duration()), LiveSince: now, LastSeq: r.lastSeq,
	}
	if err := r.commitLot(ctx, ns); err != nil {
		return err
	}
	r.cur = &lotRun{lot: lot, st: ns}
	// History is per lot; keep the buffer for reuse.
	r.hist = r.hist[:0]
	r.histPos = 0
	r.emit(now, r.lotEvent(EventLotStarted))
	return nil
}

// pause stops the clock, keeping the time left.
func (r *Room) pause(ctx context.Context, now time.Time, lotID string) error {
	c, err := r.currentIn(lotID, "pause", StatusLive)
	if err != nil {
		return err
	}
	ns := c.st
	ns.Status = StatusPaused
	ns.RemainingMS = c.st.Deadline.Sub(now).Milliseconds()
	ns.Deadline = time.Time{}
	return r.advance(ctx, now, c, ns, EventClock)
}

// resume restarts a paused clock with the time it had left.
func (r *Room) resume(ctx context.Context, now time.Time, lotID string) error {
	c, err := r.currentIn(lotID, "resume", StatusPaused)
	if err != nil {
		return err
	}
	ns := c.st
	ns.Status = StatusLive
	ns.Deadline = now.Add(ms(max(c.st.RemainingMS, 1)))
	ns.RemainingMS = 0
	ns.LiveSince = now
	return r.advance(ctx, now, c, ns, EventClock)
}

// endEarly moves the deadline to now and starts the grace. Unlike a
// deadline reached naturally, it is committed: a restart must not bring the
// old deadline back.
func (r *Room) endEarly(ctx context.Context, now time.Time, lotID string) error {
	c, err := r.currentIn(lotID, "end", StatusLive, StatusPaused)
	if err != nil {
		return err
	}
	ns := c.st
	ns.Status = StatusClosing
	ns.Deadline = now
	grace := r.cfg.Grace
	if c.st.Status == StatusPaused {
		// A paused lot takes no bids, so nothing in flight can count: it
		// closes without a grace, and bids sent during the pause stay
		// refused.
		ns.LiveSince = now
		grace = 0
	}
	ns.RemainingMS = 0
	if err := r.advance(ctx, now, c, ns, EventLotClosing); err != nil {
		return err
	}
	c.ended = true
	c.closeAt = now.Add(grace)
	c.backoff = 0
	return nil
}

// skip cancels a lot without bids.
func (r *Room) skip(ctx context.Context, now time.Time, lotID string) error {
	// The active statuses (LotStatus.Active).
	c, err := r.currentIn(lotID, "skip", StatusLive, StatusPaused, StatusClosing)
	if err != nil {
		return err
	}
	if c.st.HasBid() {
		return ErrLotHasBids
	}
	ns := c.st
	ns.Status = StatusCancelled
	ns.Proxies = nil
	ns.Result = &LotResult{Status: StatusCancelled, ClosedAt: now}
	return r.advance(ctx, now, c, ns, EventLotClosed)
}

// relist runs an unsold or cancelled lot again from scratch.
func (r *Room) relist(ctx context.Context, now time.Time, lotID string) error {
	c, err := r.currentIn(lotID, "relist", StatusUnsold, StatusCancelled)
	if err != nil {
		return err
	}
	return r.goLive(ctx, now, c.lot, c.st.Version)
}

// close ends a closing lot: sold to the leader if the reserve is met, else
// unsold. If the commit fails the lot stays closing and the close is
// retried with exponential backoff (Config.CloseRetryMin..Max); meanwhile
// bids received before the deadline are still applied, and later ones are
// still refused, so retrying never changes who may win. The result is
// recomputed on each attempt from the state then in force.
func (r *Room) close(ctx context.Context, now time.Time) {
	c := r.cur
	ns := c.st
	res := &LotResult{Status: StatusUnsold, ClosedAt: now}
	if ns.HasBid() && c.lot.reserveMet(ns.HighBid) {
		res.Status = StatusSold
		res.WinnerID = ns.LeaderID
		res.WinningBidID = ns.HighBidID
		res.Price = Money{Amount: ns.HighBid, Currency: c.lot.Currency}
	}
	ns.Status = res.Status
	ns.Result = res
	ns.Proxies = nil
	ns.Version++
	if err := r.commitLot(ctx, ns); err != nil {
		c.backoff = min(max(2*c.backoff, r.cfg.CloseRetryMin), r.cfg.CloseRetryMax)
		c.closeAt = now.Add(c.backoff)
		r.log.Error("close lot; will retry", "room", r.cfg.RoomID, "lot", c.lot.ID, "retry_in", c.backoff, "err", err)
		return
	}
	c.st = ns
	c.closeAt = time.Time{}
	r.emit(now, r.lotEvent(EventLotClosed))
}
