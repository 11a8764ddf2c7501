package auction

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// contender is one bidder's strongest standing in proxy resolution: a
// proxy maximum, or the leader's standing bid.
type contender struct {
	bidder string
	max    int64
	seq    int64
	proxy  *ProxyMax // nil for the leader's standing bid
}

// beats orders contenders: the higher amount wins, and on equal amounts the
// earlier (lower ingress sequence) one.
func (a *contender) beats(b *contender) bool {
	return a.max > b.max || (a.max == b.max && a.seq < b.seq)
}

// resolveProxies lets proxy maxima answer the state in ns, appending the
// bids placed on holders' behalf to recs.
//
// It is closed-form rather than a bidding war step by step: the strongest
// contender W wins, at the least price that beats the runner-up R — R's
// maximum plus one increment, capped at W's own maximum, or exactly W's
// maximum when the two are equal (W is then the earlier, so it wins the
// tie). R is shown bidding up to its maximum first, so the history and the
// leader match what a step-by-step war would have produced. If W's maximum
// reaches the hidden reserve, the price is raised to at least the reserve,
// as auction houses do, so a lot does not end unsold below a bidder's
// ceiling. Maxima that can no longer bid are dropped afterwards.
func resolveProxies(lot *Lot, ns *LotState, trigger Bid, recs []BidRecord) []BidRecord {
	if len(ns.Proxies) == 0 {
		return recs
	}
	var w, r *contender
	consider := func(c *contender) {
		switch {
		case w == nil:
			w = c
		case c.beats(w):
			if c.bidder != w.bidder {
				r = w
			}
			w = c
		case c.bidder != w.bidder && (r == nil || c.beats(r)):
			r = c
		}
	}
	var standing *contender
	if ns.HasBid() {
		standing = &contender{bidder: ns.LeaderID, max: ns.HighBid, seq: ns.HighSeq}
		consider(standing)
	}
	cs := make([]contender, len(ns.Proxies))
	for i := range ns.Proxies {
		p := &ns.Proxies[i]
		cs[i] = contender{bidder: p.BidderID, max: p.Max, seq: p.Seq, proxy: p}
		consider(&cs[i])
	}
	// The leader keeps the lead unless a rival beats the standing bid; a
	// rival is then answered by the leader's own maximum.
	if standing != nil && w.bidder == ns.LeaderID && (r == nil || !r.beats(standing)) {
		pruneProxies(ns)
		return recs
	}
	if w.proxy == nil {
		// Only the standing bid leads: nothing to do.
		pruneProxies(ns)
		return recs
	}
	price := lot.Opening
	if r != nil {
		if r.proxy != nil && r.max > ns.HighBid {
			recs = append(recs, proxyRecord(lot, r.proxy, r.max, trigger, len(recs)))
			applyLead(ns, &recs[len(recs)-1])
		}
		price = priceAgainst(lot, w.max, r.max)
	}
	if lot.Reserve > 0 && w.max >= lot.Reserve && price < lot.Reserve {
		price = lot.Reserve
	}
	if price < ns.HighBid {
		// Unreachable with consistent state; the high bid never decreases.
		price = ns.HighBid
	}
	recs = append(recs, proxyRecord(lot, w.proxy, price, trigger, len(recs)))
	applyLead(ns, &recs[len(recs)-1])
	pruneProxies(ns)
	return recs
}

// priceAgainst is what maximum wmax pays to beat maximum rmax: one increment
// over rmax, capped at wmax, or wmax itself when they are equal.
func priceAgainst(lot *Lot, wmax, rmax int64) int64 {
	if rmax >= wmax {
		return wmax
	}
	next, ok := lot.increments().Next(rmax)
	if !ok || next > wmax {
		return wmax
	}
	return next
}

// proxyRecord is the bid placed for a proxy holder. It is ranked by the
// maximum's sequence: that is when the holder committed to the amount.
func proxyRecord(lot *Lot, p *ProxyMax, amount int64, trigger Bid, n int) BidRecord {
	return BidRecord{
		ID: autoID(trigger.BidderID, trigger.ID, n), LotID: lot.ID, BidderID: p.BidderID, Kind: KindProxy,
		Amount:     Money{Amount: amount, Currency: lot.Currency},
		ReceivedAt: p.ReceivedAt, Seq: p.Seq,
	}
}

// applyLead makes rec the leading bid.
func applyLead(ns *LotState, rec *BidRecord) {
	ns.HighBid = rec.Amount.Amount
	ns.LeaderID = rec.BidderID
	ns.HighBidID = rec.ID
	ns.HighSeq = rec.Seq
	ns.BidCount++
}

// pruneProxies drops maxima that can never bid again: every one at or below
// the price. The leader's is among them once the price reaches it.
func pruneProxies(ns *LotState) {
	keep := 0
	for _, p := range ns.Proxies {
		if p.Max > ns.HighBid {
			keep++
		}
	}
	if keep == len(ns.Proxies) {
		return
	}
	var ps []ProxyMax
	if keep > 0 {
		ps = make([]ProxyMax, 0, keep)
		for _, p := range ns.Proxies {
			if p.Max > ns.HighBid {
				ps = append(ps, p)
			}
		}
	}
	ns.Proxies = ps
}

// autoID derives the bid_id of the n-th record answering the bid trigger
// of bidder. A bid_id is unique per bidder only, and the record is the proxy
// holder's, so the name carries a digest of the trigger's bidder too: two
// bidders' triggers with one bid_id never name a holder's bids alike. It is
// deterministic, so a replay after a restart produces the same IDs and the
// store's idempotency holds, and fits the 64-character bid_id limit.
func autoID(bidder, trigger string, n int) string {
	sum := sha256.Sum256([]byte(bidder + "\x00" + trigger))
	suffix := "~" + hex.EncodeToString(sum[:8]) + "~" + strconv.Itoa(n)
	if len(trigger)+len(suffix) <= 64 {
		return trigger + suffix
	}
	return "~" + hex.EncodeToString(sum[:16]) + "~" + strconv.Itoa(n)
}
