package bidding

import (
	"strings"
	"time"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/events"
)

// The room actor's events and snapshots name bidders by user ID and carry
// the bid IDs clients chose; they stay inside the owner node. What leaves it
// for the event log (and so for every viewer) is their rendering below into
// the wire types of package events, per audience: bidders by their room
// alias, a bid's ID only in its own bidder's copy, proxy maxima only in
// their owner's copy, proxy bids shown to others as plain bids.

// viewer renders one room's events for one audience: owner is the user
// whose own copy it is, or "" for everyone else.
type viewer struct {
	roomID  string
	aliases *events.Aliases
	owner   string
	// trigger finds the sequence number and receive time of the bid with
	// the given bid_id (the one that made a proxy bid); nil knows none.
	trigger func(bidID string) (int64, time.Time, bool)
}

// triggerOf returns the bid_id of the bid that made the proxy bid with
// the given ID ("<trigger>~<n>", see auction's autoID), or "".
func triggerOf(proxyID string) string {
	i := strings.LastIndexByte(proxyID, '~')
	if i <= 0 {
		return ""
	}
	return proxyID[:i]
}

// bid returns b as the audience may see it, or false if it must not see it
// at all (someone else's proxy maximum).
func (v viewer) bid(b auction.BidRecord) (events.PublicBid, bool) {
	own := v.owner != "" && b.BidderID == v.owner
	kind := b.Kind
	switch {
	case own:
	case kind == auction.KindMax:
		return events.PublicBid{}, false
	default:
		kind = auction.KindBid
	}
	pb := events.PublicBid{LotID: b.LotID, Bidder: v.aliases.Of(v.roomID, b.BidderID), Kind: kind, Amount: events.MoneyOf(b.Amount),
		ReceivedAt: b.ReceivedAt, Seq: b.Seq}
	if own && b.Kind != auction.KindProxy {
		pb.BidID = b.ID
	}
	if !own && b.Kind == auction.KindProxy {
		// A proxy bid carries its maximum's sequence and time.
		pb.Seq, pb.ReceivedAt = 0, time.Time{}
		if v.trigger != nil {
			if seq, at, ok := v.trigger(triggerOf(b.ID)); ok {
				pb.Seq, pb.ReceivedAt = seq, at
			}
		}
	}
	return pb, true
}

func (v viewer) result(r *auction.LotResult) *events.PublicResult {
	if r == nil {
		return nil
	}
	return &events.PublicResult{Status: r.Status, Winner: v.aliases.Of(v.roomID, r.WinnerID), Price: events.MoneyOf(r.Price),
		ClosedAt: r.ClosedAt}
}

// event returns e as the audience may see it, and whether it shows any bid.
func (v viewer) event(e auction.Event) (events.PublicEvent, bool) {
	if e.Bid != nil {
		trig := *e.Bid
		v.trigger = func(id string) (int64, time.Time, bool) {
			return trig.Seq, trig.ReceivedAt, id != "" && id == trig.ID
		}
	}
	out := events.PublicEvent{Type: e.Type, RoomID: e.RoomID, LotID: e.LotID, At: e.At, Status: e.Status,
		Reason: e.Reason, HighBid: events.MoneyOf(e.HighBid), Leader: v.aliases.Of(v.roomID, e.LeaderID),
		NextMin:    events.MoneyOf(e.NextMin),
		ReserveMet: e.ReserveMet, Deadline: e.Deadline, RemainingMS: e.RemainingMS, Result: v.result(e.Result)}
	shown := false
	if e.Bid != nil {
		if b, ok := v.bid(*e.Bid); ok {
			out.Bid, shown = &b, true
		}
	}
	for _, r := range e.AutoBids {
		if b, ok := v.bid(r); ok {
			out.AutoBids, shown = append(out.AutoBids, b), true
		}
	}
	if m := e.Moderation; m != nil {
		out.Moderation = &events.PublicModeration{Banned: m.Banned, Muted: m.Muted, MutedUntil: m.MutedUntil,
			SlowModeMS: m.SlowModeMS}
	}
	return out, shown
}

// PublicSnapshotOf returns the actor's snapshot s as every viewer of the
// room may see it. trigger (nil for none) finds the bids that made the
// history's proxy bids.
func PublicSnapshotOf(s auction.Snapshot, aliases *events.Aliases, trigger func(bidID string) (int64, time.Time, bool)) events.PublicSnapshot {
	v := viewer{roomID: s.RoomID, aliases: aliases, trigger: trigger}
	out := events.PublicSnapshot{RoomID: s.RoomID, SellerID: s.SellerID, EventSeq: s.EventSeq, ServerTime: s.ServerTime,
		SlowModeMS: s.SlowModeMS}
	if l := s.Lot; l != nil {
		out.Lot = &events.PublicLot{ID: l.ID, Status: l.Status, Policy: l.Policy, Opening: events.MoneyOf(l.Opening),
			HighBid: events.MoneyOf(l.HighBid),
			Leader:  aliases.Of(s.RoomID, l.LeaderID), BidCount: l.BidCount, NextMin: events.MoneyOf(l.NextMin),
			HasReserve: l.HasReserve, ReserveMet: l.ReserveMet, Deadline: l.Deadline, RemainingMS: l.RemainingMS,
			Result: v.result(l.Result), Version: l.Version}
	}
	for _, b := range s.History {
		if pb, ok := v.bid(b); ok {
			out.History = append(out.History, pb)
		}
	}
	return out
}

// wireCopy is one published copy of an actor event: for everyone (to and
// except empty), for one user (to), or for everyone but one user (except).
type wireCopy struct {
	to, except string
	ev         events.PublicEvent
}

// copiesOf splits an actor event into what each audience gets. to is the
// user the event was queued for ("" for a public event).
//
//   - A private event (a rejection, an outbid notice) goes to its user in
//     their own view.
//   - bid.accepted goes to its bidder with the bid's ID (and, for a maximum,
//     the maximum), and to everyone else without; when the others would see
//     no bid at all (a maximum that placed nothing) they get nothing, so
//     not even the existence of a maximum leaks.
//   - A moderation event about one user goes to that user only.
func copiesOf(e auction.Event, to string, roomID string, aliases *events.Aliases) []wireCopy {
	if to != "" {
		ev, _ := viewer{roomID: roomID, aliases: aliases, owner: to}.event(e)
		return []wireCopy{{to: to, ev: ev}}
	}
	if e.Type == auction.EventModeration && e.Moderation != nil && e.Moderation.UserID != "" {
		ev, _ := viewer{roomID: roomID, aliases: aliases}.event(e)
		return []wireCopy{{to: e.Moderation.UserID, ev: ev}}
	}
	if e.Type == auction.EventBidAccepted && e.Bid != nil && e.Bid.BidderID != "" {
		bidder := e.Bid.BidderID
		own, _ := viewer{roomID: roomID, aliases: aliases, owner: bidder}.event(e)
		out := []wireCopy{{to: bidder, ev: own}}
		if pub, shown := (viewer{roomID: roomID, aliases: aliases}).event(e); shown {
			out = append(out, wireCopy{except: bidder, ev: pub})
		}
		return out
	}
	ev, _ := viewer{roomID: roomID, aliases: aliases}.event(e)
	return []wireCopy{{ev: ev}}
}
