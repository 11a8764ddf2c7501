package auction

import (
	"context"
	"time"
)

// cmdKind names a command to the room actor.
type cmdKind uint8

const (
	cmdBid cmdKind = iota
	cmdMax
	cmdStart
	cmdPause
	cmdResume
	cmdEnd
	cmdSkip
	cmdRelist
	cmdMute
	cmdUnmute
	cmdBan
	cmdUnban
	cmdSlow
	cmdModStatus
	cmdSnapshot
	cmdBatch
)

// command is one request to the actor, carrying its own reply channel.
type command struct {
	kind  cmdKind
	bid   Bid
	lot   Lot
	id    string // lot ID for seller commands, user ID for moderation
	dur   time.Duration
	batch []BatchBid
	reply chan reply
}

// reply is the actor's answer; the field set depends on the command.
type reply struct {
	err  error
	bid  BidResult
	mod  ModStatus
	snap *Snapshot
	// batch holds DecideBids' results, err its commit error.
	batch []BidResult
}

// BidResult is the outcome of PlaceBid or SetMaxBid.
type BidResult struct {
	Accepted bool
	Reason   Reason
	// AutoBids are the proxy bids placed in answer, in order.
	AutoBids []BidRecord
	// Leading says whether the bidder leads after the bid (an accepted bid
	// can be outbid at once by a proxy maximum).
	Leading  bool
	HighBid  Money
	LeaderID string
	NextMin  Money
	Deadline time.Time
	Status   LotStatus
	// EventSeq is the Seq of the bid.accepted or bid.rejected event.
	EventSeq int64
	// Err is the store's error when Reason is ReasonUnavailable, so that the
	// caller can tell a transient failure from one retrying cannot cure.
	Err error
}

// call hands the command built by fill to the actor and waits for its
// reply. It never blocks on a stopped room: once Run has returned it
// reports ErrRoomStopped. If ctx ends after the actor took the command, the
// command may still take effect; its outcome is then known only from the
// room's events.
//
// Commands and reply channels are not pooled: a pooled channel made inside
// one testing/synctest bubble must never be used outside it, and a pool per
// room would cost idle rooms memory.
func (r *Room) call(ctx context.Context, fill func(c *command)) (reply, error) {
	c := &command{reply: make(chan reply, 1)}
	fill(c)
	select {
	case r.cmds <- c:
	case <-r.done:
		return reply{}, ErrRoomStopped
	case <-ctx.Done():
		return reply{}, ctx.Err()
	}
	select {
	case rep := <-c.reply:
		return rep, rep.err
	case <-r.done:
		// The actor replies before it can exit, so a reply sent just before
		// Run returned is still here.
		select {
		case rep := <-c.reply:
			return rep, rep.err
		default:
			return reply{}, ErrRoomStopped
		}
	case <-ctx.Done():
		return reply{}, ctx.Err()
	}
}

// handle runs one command on the actor's goroutine.
func (r *Room) handle(ctx context.Context, c *command) {
	now := r.clock.Now()
	r.tick(ctx, now)
	var rep reply
	switch c.kind {
	case cmdBid, cmdMax:
		res, _ := r.decideBatch(ctx, now, []BatchBid{{Bid: c.bid, Max: c.kind == cmdMax}})
		rep.bid = res[0]
	case cmdStart:
		rep.err = r.startLot(ctx, now, c.lot)
	case cmdPause:
		rep.err = r.pause(ctx, now, c.id)
	case cmdResume:
		rep.err = r.resume(ctx, now, c.id)
	case cmdEnd:
		rep.err = r.endEarly(ctx, now, c.id)
	case cmdSkip:
		rep.err = r.skip(ctx, now, c.id)
	case cmdRelist:
		rep.err = r.relist(ctx, now, c.id)
	case cmdMute, cmdUnmute, cmdBan, cmdUnban, cmdSlow:
		rep.mod, rep.err = r.moderate(ctx, now, c.kind, c.id, c.dur)
	case cmdModStatus:
		rep.mod = r.modStatus(now, c.id)
	case cmdSnapshot:
		s := r.snapshot(now)
		rep.snap = &s
	case cmdBatch:
		rep.batch, rep.err = r.decideBatch(ctx, now, c.batch)
	}
	c.reply <- rep
}

// PlaceBid applies a plain bid: DecideBids with a batch of one. The
// returned error is only about reaching the actor (ErrRoomStopped, ctx); a
// refused bid is a BidResult with a Reason (ReasonUnavailable, with Err,
// when the commit failed).
func (r *Room) PlaceBid(ctx context.Context, b Bid) (BidResult, error) {
	rep, err := r.call(ctx, func(c *command) { c.kind = cmdBid; c.bid = b })
	return rep.bid, err
}

// SetMaxBid sets or raises the bidder's proxy maximum to b.Amount: the
// actor then bids for them, by increment, up to it. A maximum can only be
// raised: bids are binding.
func (r *Room) SetMaxBid(ctx context.Context, b Bid) (BidResult, error) {
	rep, err := r.call(ctx, func(c *command) { c.kind = cmdMax; c.bid = b })
	return rep.bid, err
}

// StartLot makes lot the room's live lot, with its clock starting now. It
// fails with ErrLotActive while another lot is live, paused or closing.
func (r *Room) StartLot(ctx context.Context, lot Lot) error {
	_, err := r.call(ctx, func(c *command) { c.kind = cmdStart; c.lot = lot })
	return err
}

// Pause stops the live lot's clock; bids are refused until Resume.
func (r *Room) Pause(ctx context.Context, lotID string) error {
	_, err := r.call(ctx, func(c *command) { c.kind = cmdPause; c.id = lotID })
	return err
}

// Resume restarts a paused lot's clock with the time it had left.
func (r *Room) Resume(ctx context.Context, lotID string) error {
	_, err := r.call(ctx, func(c *command) { c.kind = cmdResume; c.id = lotID })
	return err
}

// EndEarly ends the lot now: bids received up to now are still applied
// during the grace, then the lot closes, sold to the leader if the reserve
// is met.
func (r *Room) EndEarly(ctx context.Context, lotID string) error {
	_, err := r.call(ctx, func(c *command) { c.kind = cmdEnd; c.id = lotID })
	return err
}

// Skip cancels a lot that has no accepted bid. A lot with bids can only be
// ended: bids are binding.
func (r *Room) Skip(ctx context.Context, lotID string) error {
	_, err := r.call(ctx, func(c *command) { c.kind = cmdSkip; c.id = lotID })
	return err
}

// Relist runs the room's last lot again, if it ended unsold or cancelled,
// with a fresh clock and no bids.
func (r *Room) Relist(ctx context.Context, lotID string) error {
	_, err := r.call(ctx, func(c *command) { c.kind = cmdRelist; c.id = lotID })
	return err
}

// Snapshot returns the room's current state for a joining client.
func (r *Room) Snapshot(ctx context.Context) (Snapshot, error) {
	rep, err := r.call(ctx, func(c *command) { c.kind = cmdSnapshot })
	if err != nil {
		return Snapshot{}, err
	}
	return *rep.snap, nil
}
