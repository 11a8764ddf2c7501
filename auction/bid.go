package auction

import "time"

// acceptance returns the bid.accepted event and the result of the bid
// whose records are recs, as of the current (just committed) state.
func (r *Room) acceptance(prevLeader string, recs []BidRecord, bidderID string) (Event, BidResult) {
	st := &r.cur.st
	e := r.lotEvent(EventBidAccepted)
	e.PrevLeaderID = prevLeader
	first := publicBid(recs[0])
	e.Bid = &first
	if len(recs) > 1 {
		e.AutoBids = recs[1:]
	}
	return e, BidResult{
		Accepted: true,
		AutoBids: e.AutoBids,
		Leading:  st.LeaderID == bidderID,
		HighBid:  e.HighBid,
		LeaderID: e.LeaderID,
		NextMin:  e.NextMin,
		Deadline: e.Deadline,
		Status:   st.Status,
	}
}

// clockAfterBid moves ns's deadline for the accepted bid b, if it changed
// the price or the leader. The clock reacts as of the bid's receive time,
// not the time it is applied: bids are applied in ingress order, so the
// deadline is a function of that order alone, and a backlog (a slow queue, a
// batch, or a restart after an outage) cannot stretch it to admit bids
// received after the lot had in fact ended. A receive time ahead of our
// clock (skew between nodes) counts as now.
func (r *Room) clockAfterBid(now time.Time, ns *LotState, b Bid) {
	c := r.cur
	if ns.HighBid == c.st.HighBid && ns.LeaderID == c.st.LeaderID {
		return
	}
	prev := c.lot.Opening
	if c.st.HasBid() {
		prev = c.st.HighBid
	}
	at := b.ReceivedAt
	if at.After(now) {
		at = now
	}
	ns.Deadline = c.lot.Clock.afterBid(c.st.Deadline, at, prev, ns.HighBid)
	if ns.Status == StatusClosing && ns.Deadline.After(now) && !c.ended {
		// A bid received in time but applied in the grace extended the
		// clock: the lot is live again, as if the bid had arrived at once.
		ns.Status = StatusLive
	}
}

// record turns the bidder's bid into the record committed for it.
func record(b Bid, kind BidKind) BidRecord {
	return BidRecord{
		ID: b.ID, LotID: b.LotID, BidderID: b.BidderID, Kind: kind,
		Amount: b.Amount, ReceivedAt: b.ReceivedAt, Seq: b.Seq,
	}
}

// checkBid applies the rules that do not depend on the amount against the
// lot's state; it returns "" when they pass. The order matters: the most
// specific, least revealing reason comes first.
func (r *Room) checkBid(now time.Time, b *Bid) Reason {
	switch {
	case b.ID == "" || b.BidderID == "" || b.Seq <= 0 || b.ReceivedAt.IsZero():
		return ReasonInvalidBid
	case b.Seq <= r.lastSeq:
		return ReasonDuplicate
	case r.banned(b.BidderID):
		return ReasonBanned
	case b.BidderID == r.cfg.SellerID:
		return ReasonSellerCannotBid
	case r.cur == nil:
		return ReasonLotNotLive
	case b.LotID != r.cur.lot.ID:
		return ReasonWrongLot
	}
	st := &r.cur.st
	switch st.Status {
	case StatusLive, StatusClosing:
	case StatusSold, StatusUnsold, StatusCancelled:
		if !st.Deadline.IsZero() && b.ReceivedAt.After(st.Deadline) {
			return ReasonAfterDeadline
		}
		return ReasonLotNotLive
	default:
		return ReasonLotNotLive
	}
	switch {
	case b.ReceivedAt.After(st.Deadline):
		// The deadline rule: only the receive time counts, never when the
		// bid happens to be applied.
		return ReasonAfterDeadline
	case b.ReceivedAt.Before(st.LiveSince):
		// Sent while the lot was paused or not yet started.
		return ReasonLotNotLive
	case b.Amount.Currency != r.cur.lot.Currency:
		return ReasonCurrencyMismatch
	case !validAmount(b.Amount.Amount):
		return ReasonInvalidAmount
	}
	return ""
}

// noteRejected advances the room's decided sequence past a rejected bid,
// so a redelivery is recognized, unless the rejection says the bid was not
// really judged (unavailable, duplicate, invalid).
func (r *Room) noteRejected(b Bid, reason Reason) {
	if reason != ReasonUnavailable && reason != ReasonDuplicate && reason != ReasonInvalidBid && b.Seq > r.lastSeq {
		r.lastSeq = b.Seq
	}
}

// rejection returns the bid.rejected event and the result of refusing b
// for reason, as of the current state, without emitting it.
func (r *Room) rejection(b Bid, kind BidKind, reason Reason) (Event, BidResult) {
	rec := publicBid(record(b, kind))
	e := Event{Type: EventBidRejected, LotID: b.LotID, Bid: &rec, Reason: reason}
	res := BidResult{Reason: reason}
	if c := r.cur; c != nil {
		ev := r.lotEvent(EventBidRejected)
		e.Status, e.HighBid, e.LeaderID, e.NextMin, e.Deadline = ev.Status, ev.HighBid, ev.LeaderID, ev.NextMin, ev.Deadline
		res.Status, res.HighBid, res.LeaderID, res.NextMin, res.Deadline = ev.Status, ev.HighBid, ev.LeaderID, ev.NextMin, ev.Deadline
		res.Leading = ev.LeaderID == b.BidderID && ev.LeaderID != ""
	}
	return e, res
}

// plainBid applies a plain bid to ns and resolves proxies. The leader may
// raise their own bid (to pass the reserve, say).
func plainBid(lot *Lot, ns *LotState, b Bid) ([]BidRecord, Reason) {
	next, ok := lot.minNext(ns)
	if !ok || b.Amount.Amount < next {
		return nil, ReasonTooLow
	}
	rec := record(b, KindBid)
	ns.HighBid = b.Amount.Amount
	ns.LeaderID = b.BidderID
	ns.HighBidID = b.ID
	ns.HighSeq = b.Seq
	ns.BidCount++
	recs := resolveProxies(lot, ns, b, []BidRecord{rec})
	return recs, ""
}

// setMax sets or raises the bidder's proxy maximum and resolves proxies.
func setMax(lot *Lot, ns *LotState, b Bid) ([]BidRecord, Reason) {
	max := b.Amount.Amount
	i := ns.proxyOf(b.BidderID)
	if ns.LeaderID == b.BidderID {
		// The leader can only raise their ceiling above the price.
		if max <= ns.HighBid || (i >= 0 && max <= ns.Proxies[i].Max) {
			return nil, ReasonTooLow
		}
	} else if next, ok := lot.minNext(ns); !ok || max < next {
		return nil, ReasonTooLow
	}
	// Copy on write: a committed state's Proxies are never changed in place.
	ps := make([]ProxyMax, 0, len(ns.Proxies)+1)
	for _, p := range ns.Proxies {
		if p.BidderID != b.BidderID {
			ps = append(ps, p)
		}
	}
	ns.Proxies = append(ps, ProxyMax{BidderID: b.BidderID, Max: max, Seq: b.Seq, ReceivedAt: b.ReceivedAt})
	recs := resolveProxies(lot, ns, b, []BidRecord{record(b, KindMax)})
	return recs, ""
}
