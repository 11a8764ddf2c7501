package loadtest

import (
	"fmt"
	"sort"
	"time"
)

// HotBid is one bid of a hot-lot storm: when it was sent, where it fell
// against the lot's deadline, and what became of it. Times named Server
// are the server's clock (from room events), the only clock the deadline
// rule uses; SentToDeadlineMS is the bidder's estimate from the offset it
// measured at join, for the report's picture only.
type HotBid struct {
	BidID    string `json:"bid_id"`
	RoomID   string `json:"room_id"`
	LotID    string `json:"lot_id"`
	BidderID string `json:"bidder_id"`
	Amount   int64  `json:"amount"`
	// SentToDeadlineMS is send time minus the deadline the bidder knew
	// then (negative: before it), on the bidder's estimate of server time.
	SentToDeadlineMS float64 `json:"sent_to_deadline_ms"`
	Acked            bool    `json:"acked"`
	Seq              int64   `json:"seq,omitempty"`
	ErrorCode        string  `json:"error_code,omitempty"`
	// ReceivedAt is the server's receive time (bid.received_at of the
	// bidder's own bid.accepted or bid.rejected); zero when no decision
	// reached the bidder.
	ReceivedAt time.Time `json:"received_at,omitzero"`
	// DeadlineInForce is the deadline when the bid was received: the lot's
	// start deadline, moved by every bid accepted before it (in ingress
	// order), as the room's events said.
	DeadlineInForce time.Time `json:"deadline_in_force,omitzero"`
	// ReceivedToDeadlineMS is ReceivedAt − DeadlineInForce (server clock).
	ReceivedToDeadlineMS float64 `json:"received_to_deadline_ms"`
	Outcome              string  `json:"outcome,omitempty"` // accepted, rejected, "" (no decision heard)
	Reason               string  `json:"reason,omitempty"`
}

// HotLot is one stormed lot: its clock as the room's events told it and
// every storm bid.
type HotLot struct {
	RoomID string `json:"room_id"`
	LotID  string `json:"lot_id"`
	Policy string `json:"policy"`
	// StartDeadline is the deadline when the storm began; FinalDeadline the
	// last one in force; ClosedAt the result's closed_at.
	StartDeadline time.Time `json:"start_deadline"`
	FinalDeadline time.Time `json:"final_deadline"`
	ClosedAt      time.Time `json:"closed_at,omitzero"`
	Result        string    `json:"result,omitempty"` // sold, unsold, cancelled, "" if not closed
	// Accepted is every accepted bid of the lot (anyone's) by ingress seq:
	// its receive time and the deadline after it.
	Accepted []HotAccept `json:"accepted"`
	Bids     []HotBid    `json:"bids"`
}

// HotAccept is an accepted bid as every watcher saw it.
type HotAccept struct {
	Seq        int64     `json:"seq"`
	ReceivedAt time.Time `json:"received_at"`
	Deadline   time.Time `json:"deadline"` // after this bid
}

// deadlineBefore returns the deadline in force for a bid of ingress seq:
// the one after the last accepted bid before it, else the start deadline.
// Accepted must be sorted by Seq.
func (l *HotLot) deadlineBefore(seq int64) time.Time {
	d := l.StartDeadline
	i := sort.Search(len(l.Accepted), func(i int) bool { return l.Accepted[i].Seq >= seq })
	if i > 0 {
		d = l.Accepted[i-1].Deadline
	}
	return d
}

// HotLotAudit is the deadline audit's verdict over the stormed lots.
type HotLotAudit struct {
	OK bool `json:"ok"`
	// Checked bids have a known receive time and seq.
	Checked int `json:"checked_bids"`
	// Before and After count checked bids received before (or at) and
	// after the deadline in force.
	Before int `json:"before_deadline"`
	After  int `json:"after_deadline"`
	// LostBeforeDeadline: received before the deadline, yet refused as
	// late or not live, or never decided. AcceptedAfterDeadline: received
	// after it, yet accepted.
	LostBeforeDeadline    int `json:"lost_before_deadline"`
	AcceptedAfterDeadline int `json:"accepted_after_deadline"`
	// Undecided acknowledged bids with no decision heard at all.
	Undecided int `json:"undecided"`
	// Ambiguous bids were received in the deadline's millisecond, when
	// the events give times only to the millisecond: not judged.
	Ambiguous  int      `json:"ambiguous"`
	OpenLots   int      `json:"open_lots"`
	Violations []string `json:"violations,omitempty"`
}

// lateReasons are the refusals that say "too late" or "not taking bids".
var lateReasons = map[string]bool{"after_deadline": true, "lot_not_live": true}

// AuditHotLots applies the deadline rule to every storm bid: a bid the
// server received before (or at) the deadline in force must be decided on
// its merits (accepted, or refused for its price), never lost or refused
// as late; a bid received after it must not be accepted. A lot that never
// closed is a violation too (its storm's outcome is unknown).
func AuditHotLots(lots []HotLot) HotLotAudit {
	a := HotLotAudit{}
	violate := func(kind *int, format string, args ...any) {
		*kind++
		if len(a.Violations) < 50 {
			a.Violations = append(a.Violations, fmt.Sprintf(format, args...))
		}
	}
	for li := range lots {
		l := &lots[li]
		sort.Slice(l.Accepted, func(i, j int) bool { return l.Accepted[i].Seq < l.Accepted[j].Seq })
		if l.Result == "" {
			violate(&a.OpenLots, "lot %s (%s) did not close", l.LotID, l.Policy)
		}
		for bi := range l.Bids {
			b := &l.Bids[bi]
			if !b.Acked {
				continue // refused with an error, or never answered: the bid audit covers those
			}
			if b.ReceivedAt.IsZero() || b.Seq == 0 {
				violate(&a.Undecided, "lot %s: bid %s (seq %d, sent %+.0f ms from the deadline) was acknowledged but never decided",
					l.LotID, b.BidID, b.Seq, b.SentToDeadlineMS)
				continue
			}
			b.DeadlineInForce = l.deadlineBefore(b.Seq)
			b.ReceivedToDeadlineMS = msf(b.ReceivedAt.Sub(b.DeadlineInForce))
			if sameMillisecond(b.ReceivedAt, b.DeadlineInForce) {
				a.Ambiguous++ // times written to the millisecond cannot say which side
				continue
			}
			a.Checked++
			late := b.ReceivedAt.After(b.DeadlineInForce)
			if late {
				a.After++
			} else {
				a.Before++
			}
			switch {
			case !late && b.Outcome == "rejected" && lateReasons[b.Reason]:
				violate(&a.LostBeforeDeadline, "lot %s (%s): bid %s received %.1f ms before the deadline was refused %s",
					l.LotID, l.Policy, b.BidID, -b.ReceivedToDeadlineMS, b.Reason)
			case late && b.Outcome == "accepted":
				violate(&a.AcceptedAfterDeadline, "lot %s (%s): bid %s received %.1f ms after the deadline was accepted",
					l.LotID, l.Policy, b.BidID, b.ReceivedToDeadlineMS)
			case !late && b.Outcome == "":
				violate(&a.LostBeforeDeadline, "lot %s (%s): bid %s received %.1f ms before the deadline has no outcome",
					l.LotID, l.Policy, b.BidID, -b.ReceivedToDeadlineMS)
			}
		}
	}
	a.OK = len(a.Violations) == 0
	return a
}

// sameMillisecond reports whether a and b fall in the same millisecond and
// one of them is written only to the millisecond, so their order is
// unknown.
func sameMillisecond(a, b time.Time) bool {
	return a.Truncate(time.Millisecond).Equal(b.Truncate(time.Millisecond)) &&
		(a.Nanosecond()%1e6 == 0 || b.Nanosecond()%1e6 == 0)
}
