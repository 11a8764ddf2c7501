package loadtest

import (
	"fmt"
	"sort"
)

// ClientBid is what a load-test client knows about one bid it sent.
type ClientBid struct {
	BidID    string `json:"bid_id"`
	RoomID   string `json:"room_id"`
	LotID    string `json:"lot_id"`
	BidderID string `json:"bidder_id"`
	Amount   int64  `json:"amount"`
	// Acked: the server answered with an ack (the bid is sequenced).
	Acked  bool  `json:"acked"`
	AckSeq int64 `json:"ack_seq,omitempty"`
	// ErrorCode is set when the server answered with an error instead
	// (nothing changed, per the protocol).
	ErrorCode string `json:"error_code,omitempty"`
	// Outcome is what the client was told: accepted, rejected or "" (not
	// heard before the end).
	Outcome string `json:"outcome,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// ServerBid is one bid as the server recorded it.
type ServerBid struct {
	BidID    string `json:"bid_id"`
	LotID    string `json:"lot_id"`
	BidderID string `json:"bidder_id"`
	Amount   int64  `json:"amount"`
	Outcome  string `json:"outcome"`
	Reason   string `json:"reason,omitempty"`
	// Seq is the ingress sequence (0 when the source does not give it).
	Seq int64 `json:"seq"`
}

// ServerResult is how the server says a lot ended.
type ServerResult struct {
	LotID        string `json:"lot_id"`
	Outcome      string `json:"outcome"` // sold, unsold or cancelled
	WinnerID     string `json:"winner_id,omitempty"`
	WinningBidID string `json:"winning_bid_id,omitempty"`
	Price        int64  `json:"price,omitempty"`
}

// ServerRecord is the server's side of the audit.
type ServerRecord struct {
	Source  string
	Bids    []ServerBid
	Results []ServerResult
}

// AuditResult is the correctness audit's verdict.
type AuditResult struct {
	OK      bool   `json:"ok"`
	Source  string `json:"source"` // "api" or "database"
	Checked int    `json:"checked_bids"`
	Lots    int    `json:"checked_lots"`
	// Lost: acknowledged bids missing from the server's record.
	Lost int `json:"lost"`
	// Doubled: bid ids recorded more than once.
	Doubled int `json:"doubled"`
	// Mismatched: the client was told one outcome, the record says another.
	Mismatched int `json:"mismatched"`
	// WrongWinner: lots whose result is not the highest accepted bid.
	WrongWinner int `json:"wrong_winner"`
	// Unacked bids were recorded though the client never heard an ack
	// (a reply lost at the end of the run); not a violation.
	Unacked int `json:"unacked_recorded"`
	// RecordedAfterError: bids refused with an error reply but recorded.
	RecordedAfterError int      `json:"recorded_after_error"`
	OpenLots           int      `json:"open_lots"`
	Violations         []string `json:"violations,omitempty"`
}

// Audit compares the bids a load test sent with the server's record:
//   - every acknowledged bid is recorded exactly once (no lost, no doubled bid);
//   - a bid refused with an error is not recorded (errors change nothing);
//   - the outcome the bidder was told is the recorded one;
//   - accepted amounts rise strictly in ingress order within a lot;
//   - a closed lot's result is its highest accepted bid: that bidder wins
//     at that price, and a lot with accepted bids is not left without a
//     winner unless the source cannot say (reserve).
func Audit(sent []ClientBid, rec ServerRecord) AuditResult {
	a := AuditResult{Source: rec.Source}
	violate := func(kind *int, format string, args ...any) {
		*kind++
		if len(a.Violations) < 50 {
			a.Violations = append(a.Violations, fmt.Sprintf(format, args...))
		}
	}
	byID := map[string][]ServerBid{}
	for _, b := range rec.Bids {
		byID[b.BidID] = append(byID[b.BidID], b)
	}
	ours := map[string]bool{}
	flagged := map[string]bool{}
	lots := map[string]bool{}
	for _, c := range sent {
		ours[c.BidID] = true
		got := byID[c.BidID]
		switch {
		case c.Acked:
			a.Checked++
			lots[c.LotID] = true
			if len(got) == 0 {
				violate(&a.Lost, "lost: bid %s (lot %s, amount %d) was acknowledged (seq %d) but is not in the %s record",
					c.BidID, c.LotID, c.Amount, c.AckSeq, rec.Source)
				continue
			}
		case c.ErrorCode != "":
			if len(got) > 0 {
				violate(&a.RecordedAfterError, "bid %s was refused with %s but is recorded as %s", c.BidID, c.ErrorCode, got[0].Outcome)
			}
			continue
		default:
			if len(got) > 0 {
				a.Unacked++
			}
			continue
		}
		if len(got) > 1 {
			flagged[c.BidID] = true
			violate(&a.Doubled, "doubled: bid %s is recorded %d times", c.BidID, len(got))
		}
		g := got[0]
		if g.Amount != c.Amount || g.LotID != c.LotID {
			violate(&a.Mismatched, "bid %s recorded as lot %s amount %d, sent as lot %s amount %d",
				c.BidID, g.LotID, g.Amount, c.LotID, c.Amount)
		}
		if c.Outcome != "" && c.Outcome != g.Outcome {
			violate(&a.Mismatched, "bid %s: the bidder was told %s, the record says %s %s", c.BidID, c.Outcome, g.Outcome, g.Reason)
		}
	}
	// A bid id of ours recorded more than once though never acked.
	for id, got := range byID {
		if len(got) > 1 && ours[id] && !flagged[id] {
			violate(&a.Doubled, "doubled: bid %s is recorded %d times", id, len(got))
		}
	}
	a.auditLots(rec, lots, violate)
	a.Lots = len(lots)
	a.OK = len(a.Violations) == 0
	return a
}

// auditLots checks monotonic prices and winners lot by lot.
func (a *AuditResult) auditLots(rec ServerRecord, lots map[string]bool, violate func(*int, string, ...any)) {
	accepted := map[string][]ServerBid{}
	for _, b := range rec.Bids {
		if b.Outcome == "accepted" && lots[b.LotID] {
			accepted[b.LotID] = append(accepted[b.LotID], b)
		}
	}
	results := map[string]ServerResult{}
	for _, r := range rec.Results {
		results[r.LotID] = r
	}
	ids := make([]string, 0, len(lots))
	for id := range lots {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, lot := range ids {
		acc := accepted[lot]
		sort.SliceStable(acc, func(i, j int) bool { return acc[i].Seq < acc[j].Seq })
		seqKnown := len(acc) > 0 && acc[0].Seq != 0
		var top *ServerBid
		for i := range acc {
			b := &acc[i]
			if seqKnown && i > 0 && b.Amount <= acc[i-1].Amount {
				violate(&a.Mismatched, "lot %s: accepted bid %s (%d, seq %d) does not raise %s (%d, seq %d)",
					lot, b.BidID, b.Amount, b.Seq, acc[i-1].BidID, acc[i-1].Amount, acc[i-1].Seq)
			}
			if top == nil || b.Amount > top.Amount || (b.Amount == top.Amount && b.Seq < top.Seq) {
				top = b
			}
		}
		res, closed := results[lot]
		if !closed {
			a.OpenLots++
			continue
		}
		switch {
		case top == nil && res.Outcome == "sold":
			violate(&a.WrongWinner, "lot %s is sold to %s at %d with no accepted bid on record", lot, res.WinnerID, res.Price)
		case top != nil && res.Outcome == "sold":
			if res.Price != top.Amount {
				violate(&a.WrongWinner, "lot %s sold at %d but the highest accepted bid is %d (%s)", lot, res.Price, top.Amount, top.BidID)
			}
			if res.WinnerID != "" && top.BidderID != "" && res.WinnerID != top.BidderID {
				violate(&a.WrongWinner, "lot %s won by %s but the highest accepted bidder is %s (bid %s, %d)",
					lot, res.WinnerID, top.BidderID, top.BidID, top.Amount)
			}
			if res.WinningBidID != "" && top.BidID != "" && res.WinningBidID != top.BidID {
				violate(&a.WrongWinner, "lot %s: winning bid %s, but the highest accepted is %s", lot, res.WinningBidID, top.BidID)
			}
		case top != nil && res.Outcome == "cancelled":
			violate(&a.WrongWinner, "lot %s was cancelled with %d accepted bids", lot, len(acc))
		}
	}
}
