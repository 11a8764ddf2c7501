package auction

import (
	"context"
	"fmt"
)

// Restore loads a lot's stored state into a room that has not started, so
// a restarted or new owner resumes it. Call it before Run, from the
// goroutine that will call Run.
//
// What happens next is decided when Run starts, against the clock then: a
// live lot whose deadline has passed while no node ran it goes straight to
// closing (with the usual grace, so bids received before the deadline that
// still wait in the durable queue are applied) and then closes on the bids
// received before its deadline; a live lot with time left re-arms its
// timer; a paused lot stays paused; a closing lot closes after the grace.
// A terminal lot is loaded as the room's last lot, so it can be relisted.
func (r *Room) Restore(lot Lot, st LotState) error {
	if r.running.Load() {
		return fmt.Errorf("%w: room %s is already running", ErrInvalidRestore, r.cfg.RoomID)
	}
	if err := lot.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidRestore, err)
	}
	bad := func(why string) error {
		return fmt.Errorf("%w: lot %s: %s", ErrInvalidRestore, lot.ID, why)
	}
	switch {
	case st.LotID != lot.ID:
		return bad("state is for lot " + st.LotID)
	case st.RoomID != "" && st.RoomID != r.cfg.RoomID:
		return bad("state is for room " + st.RoomID)
	case st.Version < 1:
		return bad("version must be positive")
	case st.HasBid() && (!validAmount(st.HighBid) || st.HighBidID == ""):
		return bad("leader without a valid high bid")
	case !st.HasBid() && st.HighBid != 0:
		return bad("high bid without a leader")
	}
	switch st.Status {
	case StatusLive, StatusClosing:
		if st.Deadline.IsZero() {
			return bad("live lot without a deadline")
		}
	case StatusPaused:
		if st.RemainingMS < 0 {
			return bad("negative remaining time")
		}
	case StatusSold, StatusUnsold, StatusCancelled:
	default:
		return bad("cannot resume a " + string(st.Status) + " lot")
	}
	for _, p := range st.Proxies {
		if p.BidderID == "" || !validAmount(p.Max) {
			return bad("malformed proxy maximum")
		}
	}
	st.RoomID = r.cfg.RoomID
	r.cur = &lotRun{lot: lot, st: st}
	if st.LastSeq > r.lastSeq {
		r.lastSeq = st.LastSeq
	}
	return nil
}

// started runs once at the top of Run: it announces a restored lot's clock
// and applies whatever time has made due while no node ran the room.
func (r *Room) started(ctx context.Context) {
	c := r.cur
	if c == nil || !c.st.Status.Active() {
		return
	}
	now := r.clock.Now()
	if c.st.Status == StatusClosing && c.closeAt.IsZero() {
		// Only EndEarly commits closing, so the seller ended this lot: its
		// grace must not reopen it.
		c.ended = true
		c.closeAt = now.Add(r.cfg.Grace)
	}
	r.emit(now, r.lotEvent(EventClock))
	r.tick(ctx, now)
	r.rearm()
}
