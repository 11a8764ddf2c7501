package loadtest

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"
)

// HotBucket counts storm bids by where they fell against the deadline in
// force (the server's receive time; the bidder's send estimate for bids
// that never heard a decision) and what became of them.
type HotBucket struct {
	FromMS    float64 `json:"from_ms"` // -Inf is written as -1e9
	ToMS      float64 `json:"to_ms"`
	Bids      int     `json:"bids"`
	Accepted  int     `json:"accepted"`
	TooLow    int     `json:"too_low"`
	Late      int     `json:"late"` // after_deadline or lot_not_live
	Other     int     `json:"other"`
	Undecided int     `json:"undecided"`
}

// hotEdges are the bucket edges in ms around the deadline.
var hotEdges = []float64{-1e9, -5000, -1000, -250, -50, 0, 50, 250, 1000, 1e9}

func hotBuckets(lots []HotLot) []HotBucket {
	out := make([]HotBucket, len(hotEdges)-1)
	for i := range out {
		out[i].FromMS, out[i].ToMS = hotEdges[i], hotEdges[i+1]
	}
	for _, l := range lots {
		for _, b := range l.Bids {
			if !b.Acked {
				continue
			}
			at := b.SentToDeadlineMS
			if !b.ReceivedAt.IsZero() {
				at = b.ReceivedToDeadlineMS
			}
			i := 0
			for i < len(out)-1 && at > out[i].ToMS {
				i++
			}
			k := &out[i]
			k.Bids++
			switch {
			case b.Outcome == "accepted":
				k.Accepted++
			case b.Outcome == "":
				k.Undecided++
			case b.Reason == "too_low":
				k.TooLow++
			case lateReasons[b.Reason]:
				k.Late++
			default:
				k.Other++
			}
		}
	}
	return out
}

// addKV adds the hot-lot figures to the summary line.
func (s *HotLotSummary) addKV(r *Report) {
	r.add("hot_lots", len(s.Lots))
	r.add("hot_checked", s.Audit.Checked)
	r.add("hot_before_deadline", s.Audit.Before)
	r.add("hot_after_deadline", s.Audit.After)
	r.add("hot_audit", map[bool]string{true: "ok", false: "FAILED"}[s.Audit.OK])
	r.add("hot_lost_before_deadline", s.Audit.LostBeforeDeadline)
	r.add("hot_accepted_after_deadline", s.Audit.AcceptedAfterDeadline)
}

// writeTable prints each lot's storm and the bids by distance from the
// deadline.
func (s *HotLotSummary) writeTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "hot lot\tpolicy\tresult\tstorm bids\taccepted\tdeadline moved by")
	for _, l := range s.Lots {
		acc := 0
		for _, b := range l.Bids {
			if b.Outcome == "accepted" {
				acc++
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%.1f s\n", l.LotID, l.Policy, l.Result, len(l.Bids), acc,
			l.FinalDeadline.Sub(l.StartDeadline).Seconds())
	}
	_ = tw.Flush()
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "received - deadline (ms)\tbids\taccepted\ttoo_low\tlate\tother\tundecided\t")
	for _, b := range s.Buckets {
		if b.Bids == 0 {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t\n", bucketName(b), b.Bids, b.Accepted, b.TooLow, b.Late, b.Other, b.Undecided)
	}
	_ = tw.Flush()
	a := s.Audit
	status := "passed"
	if !a.OK {
		status = "FAILED"
	}
	fmt.Fprintf(w, "deadline audit: %s: %d bids checked (%d before, %d after the deadline, %d in its millisecond), "+
		"%d lost before it, %d accepted after it, %d undecided, %d lots open\n", status, a.Checked, a.Before, a.After,
		a.Ambiguous, a.LostBeforeDeadline, a.AcceptedAfterDeadline, a.Undecided, a.OpenLots)
	for _, v := range a.Violations {
		fmt.Fprintf(w, "deadline audit: %s\n", v)
	}
}

func bucketName(b HotBucket) string {
	f := func(v float64) string {
		if math.Abs(v) >= 1e9 {
			return map[bool]string{true: "-inf", false: "+inf"}[v < 0]
		}
		return fmt.Sprintf("%+.0f", v)
	}
	return "(" + f(b.FromMS) + ", " + f(b.ToMS) + "]"
}

// hotLotJUnit is the hot-lot audit as a JUnit test case.
func (r *Report) hotLotJUnit(class string) []junitCase {
	s := r.HotLot
	if s == nil {
		return nil
	}
	tc := junitCase{Name: "deadline audit", Classname: class + ".hotlot", Time: "0"}
	if !s.Audit.OK {
		tc.Failure = &junitProblem{Message: fmt.Sprintf("%d violations", len(s.Audit.Violations)), Type: "audit",
			Text: joinLines(s.Audit.Violations)}
	}
	return []junitCase{tc}
}

// addHotLotFigures adds the hot-lot audit's counts to the thresholds'
// figures.
func addHotLotFigures(m map[string]figure) {
	get := func(f func(a HotLotAudit) int) figure {
		return func(r *Report) (float64, bool) {
			if r.HotLot == nil {
				return 0, false
			}
			return float64(f(r.HotLot.Audit)), true
		}
	}
	m["hot_lot_violations"] = get(func(a HotLotAudit) int { return len(a.Violations) })
	m["hot_lot_lost"] = get(func(a HotLotAudit) int { return a.LostBeforeDeadline + a.Undecided })
	m["hot_lot_late_accepted"] = get(func(a HotLotAudit) int { return a.AcceptedAfterDeadline })
}

// mergeHotLots puts the shards' stormed lots together (rooms are dealt to
// shards, so each lot is in one) and audits them once.
func mergeHotLots(rep *Report, all []*Samples) {
	var lots []HotLot
	var sum HotLotSummary
	for _, s := range all {
		if s.HotLot == nil || s.Report.HotLot == nil {
			continue
		}
		lots = append(lots, s.HotLot...)
		h := s.Report.HotLot
		sum.Rooms += h.Rooms
		sum.Bidders += h.Bidders
		sum.Watchers += h.Watchers
		sum.Rate, sum.StormS = h.Rate, h.StormS
	}
	if lots == nil {
		return
	}
	sum.Lots = lots
	sum.finish()
	rep.HotLot = &sum
	rep.samples().HotLot = lots
}
