package auction

import (
	"context"
	"time"
)

// BatchBid is one bid of a batch given to DecideBids.
type BatchBid struct {
	Bid Bid
	// Max says the bid sets a proxy maximum (as SetMaxBid) instead of
	// bidding its amount.
	Max bool
	// Refuse, when set, is a rejection the caller has already decided (the
	// bid's key is taken by another bid, or storage refuses its values):
	// the actor rejects the bid for it without judging it, and in order.
	Refuse Reason
	// NoRecord says the refused bid has no row of its own to store (its key
	// belongs to another bid, or storage refuses its values).
	NoRecord bool
}

// Decision is one decided bid of a batch as CommitBatch stores it.
type Decision struct {
	// Bid is the bidder's own record, KindBid or KindMax, with the full
	// amount (a maximum's ceiling is stored, never shown).
	Bid BidRecord
	// Reason says why the bid was refused; "" when it was accepted.
	Reason Reason
	// AutoBids are the proxy bids placed in answer to an accepted bid.
	AutoBids []BidRecord
	// NoRecord: the bid is decided but leaves no row (see BatchBid).
	NoRecord bool
	// Outbid is the bidder who led before this accepted bid (with its
	// proxy bids) and no longer does; "" when the lead did not change
	// hands. HighBid is the lot's price after the decision. The store keeps
	// the outbid bidder's notification with the batch.
	Outbid  string
	HighBid Money
}

// BatchCommit is what CommitBatch stores, all or nothing: every bid of a
// batch, accepted and rejected, in ingress order, and the lot's state after
// the last of them.
type BatchCommit struct {
	Decisions []Decision
	// Lot is the lot's state after the batch, one version above the one
	// committed before it; nil when no bid of the batch changed it.
	Lot *LotState
}

// DecideBids decides a batch of bids in their order, all as of one instant,
// and commits every decision (accepted and rejected) with the lot's final
// state in one Store.CommitBatch. Each bid is judged exactly as PlaceBid or
// SetMaxBid would judge it at that instant after the bids before it: by its
// receive time against the deadline in force (so a bid received in time
// but decided in a later batch still counts), with the clock reacting as of
// its receive time. Only after the commit are the events emitted, in ingress
// order, so a viewer sees the accepted bids of a batch with a strictly
// increasing price.
//
// If the commit fails nothing changes, no event is emitted, and the error
// is returned (wrapped as the store returned it) with every result
// ReasonUnavailable; the caller may retry the same batch. The returned
// error is also ErrRoomStopped or ctx's when the actor cannot be reached.
func (r *Room) DecideBids(ctx context.Context, bids []BatchBid) ([]BidResult, error) {
	rep, err := r.call(ctx, func(c *command) { c.kind = cmdBatch; c.batch = bids })
	if rep.batch == nil {
		return nil, err
	}
	return rep.batch, err
}

// decideBatch runs DecideBids on the actor's goroutine.
func (r *Room) decideBatch(ctx context.Context, now time.Time, in []BatchBid) ([]BidResult, error) {
	c := r.cur
	var saved LotState
	var savedCloseAt time.Time
	if c != nil {
		saved, savedCloseAt = c.st, c.closeAt
	}
	savedLast := r.lastSeq
	results := make([]BidResult, len(in))
	decisions := make([]Decision, len(in))
	evs := make([]Event, len(in))
	changed := false
	for i, bb := range in {
		b := bb.Bid
		kind := KindBid
		if bb.Max {
			kind = KindMax
		}
		reason := bb.Refuse
		if reason == "" {
			reason = r.checkBid(now, &b)
		}
		if reason == "" {
			ns := c.st
			var recs []BidRecord
			if bb.Max {
				recs, reason = setMax(&c.lot, &ns, b)
			} else {
				recs, reason = plainBid(&c.lot, &ns, b)
			}
			if reason == "" {
				r.clockAfterBid(now, &ns, b)
				ns.LastSeq = b.Seq
				if ns.Status == StatusLive {
					c.closeAt = time.Time{}
				}
				prevLeader := c.st.LeaderID
				c.st, r.lastSeq, changed = ns, b.Seq, true
				evs[i], results[i] = r.acceptance(prevLeader, recs, b.BidderID)
				decisions[i] = Decision{Bid: recs[0], AutoBids: recs[1:]}
				if prevLeader != "" && prevLeader != c.st.LeaderID {
					decisions[i].Outbid, decisions[i].HighBid = prevLeader, evs[i].HighBid
				}
				continue
			}
		}
		r.noteRejected(b, reason)
		evs[i], results[i] = r.rejection(b, kind, reason)
		decisions[i] = Decision{Bid: record(b, kind), Reason: reason, NoRecord: bb.NoRecord}
	}
	var lot *LotState
	if changed {
		c.st.Version = saved.Version + 1
		st := c.st
		lot = &st
	}
	sctx, cancel := r.storeCtx(ctx)
	err := r.store.CommitBatch(sctx, BatchCommit{Decisions: decisions, Lot: lot})
	cancel()
	if err != nil {
		r.log.Warn("commit bid batch", "room", r.cfg.RoomID, "bids", len(in), "err", err)
		if c != nil {
			c.st, c.closeAt = saved, savedCloseAt
		}
		r.lastSeq = savedLast
		for i := range results {
			results[i] = BidResult{Reason: ReasonUnavailable, Err: err}
		}
		return results, err
	}
	for i := range decisions {
		if decisions[i].Reason != "" {
			continue
		}
		if decisions[i].Bid.Kind != KindMax {
			r.remember(decisions[i].Bid)
		}
		for _, a := range decisions[i].AutoBids {
			r.remember(a)
		}
	}
	for i := range evs {
		results[i].EventSeq = r.emit(now, evs[i])
	}
	return results, nil
}
