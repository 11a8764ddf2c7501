package loadtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// stormedLot is a lot stormed around its deadline, decided correctly: a
// soft-close lot moves its deadline with each accepted bid, a sudden-death
// lot does not.
func stormedLot(policy string) HotLot {
	t0 := time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)
	d0 := t0.Add(5 * time.Second)
	l := HotLot{RoomID: "r", LotID: "lot-" + policy, Policy: policy, StartDeadline: d0, Result: "sold"}
	deadline := d0
	seq := int64(0)
	bid := func(at time.Time, outcome, reason string) {
		seq++
		l.Bids = append(l.Bids, HotBid{BidID: "b" + policy + string(rune('a'+seq)), LotID: l.LotID, Acked: true, Seq: seq,
			ReceivedAt: at, Outcome: outcome, Reason: reason})
		if outcome == "accepted" {
			if policy == "soft-close" && deadline.Sub(at) < 2*time.Second {
				deadline = at.Add(2 * time.Second)
			}
			l.Accepted = append(l.Accepted, HotAccept{Seq: seq, ReceivedAt: at, Deadline: deadline})
		}
	}
	bid(t0.Add(1*time.Second), "accepted", "")
	bid(t0.Add(1*time.Second+time.Millisecond+123), "rejected", "too_low")
	bid(t0.Add(4*time.Second+900*time.Millisecond), "accepted", "") // soft-close: the deadline moves to +6.9 s
	if policy == "soft-close" {
		bid(t0.Add(5*time.Second+500*time.Millisecond+7), "accepted", "") // after the first deadline, before the moved one
	}
	bid(deadline.Add(1500*time.Microsecond), "rejected", "after_deadline")
	bid(deadline.Add(300*time.Millisecond), "rejected", "lot_not_live")
	l.FinalDeadline = deadline
	return l
}

// TestAuditHotLots: a storm decided by the deadline rule passes, in both
// clocks; an injected lost bid (received before the deadline, refused as
// late or never decided) and an injected late acceptance each fail it.
func TestAuditHotLots(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		inject func(l *HotLot)
		want   func(a HotLotAudit) bool
	}{
		{"soft-close decided by the rule", "soft-close", nil,
			func(a HotLotAudit) bool { return a.OK && a.Before == 4 && a.After == 2 }},
		{"sudden-death decided by the rule", "sudden-death", nil,
			func(a HotLotAudit) bool { return a.OK && a.Before == 3 && a.After == 2 }},
		{"soft-close: a bid received before the moved deadline refused as late", "soft-close", func(l *HotLot) {
			l.Bids[3].Outcome, l.Bids[3].Reason = "rejected", "after_deadline"
			l.Accepted = l.Accepted[:2]
			// The bid did not move the deadline, which stays where bid 3 put it.
		}, func(a HotLotAudit) bool { return !a.OK && a.LostBeforeDeadline == 1 }},
		{"sudden-death: a bid just before the deadline lost (never decided)", "sudden-death", func(l *HotLot) {
			b := &l.Bids[2]
			b.Outcome, b.ReceivedAt = "", time.Time{}
			l.Accepted = l.Accepted[:1]
		}, func(a HotLotAudit) bool { return !a.OK && a.Undecided == 1 }},
		{"sudden-death: a bid after the deadline accepted", "sudden-death", func(l *HotLot) {
			l.Bids[3].Outcome, l.Bids[3].Reason = "accepted", ""
		}, func(a HotLotAudit) bool { return !a.OK && a.AcceptedAfterDeadline == 1 }},
		{"soft-close: a bid after the moved deadline accepted", "soft-close", func(l *HotLot) {
			l.Bids[5].Outcome, l.Bids[5].Reason = "accepted", ""
		}, func(a HotLotAudit) bool { return !a.OK && a.AcceptedAfterDeadline == 1 }},
		{"a lot that never closed", "sudden-death", func(l *HotLot) { l.Result = "" },
			func(a HotLotAudit) bool { return !a.OK && a.OpenLots == 1 }},
		{"a bid in the deadline's millisecond is not judged", "sudden-death", func(l *HotLot) {
			l.Bids[3].ReceivedAt = l.FinalDeadline.Add(400 * time.Microsecond).Truncate(time.Millisecond)
		}, func(a HotLotAudit) bool { return a.OK && a.Ambiguous == 1 && a.After == 1 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := stormedLot(tc.policy)
			if tc.inject != nil {
				tc.inject(&l)
			}
			lots := []HotLot{l}
			a := AuditHotLots(lots)
			if !tc.want(a) {
				t.Fatalf("audit %+v", a)
			}
			if !a.OK && len(a.Violations) == 0 {
				t.Fatal("a failed audit must say why")
			}
			// The audit fills each bid's deadline in force.
			for _, b := range lots[0].Bids {
				if b.ReceivedAt.IsZero() {
					continue
				}
				if b.DeadlineInForce.IsZero() {
					t.Fatalf("bid %s: no deadline in force", b.BidID)
				}
			}
		})
	}
}

// TestHotLotReportParts: the buckets count every acknowledged bid once,
// and the summary's table, summary line, JUnit case and thresholds carry
// the deadline audit.
func TestHotLotReportParts(t *testing.T) {
	l := stormedLot("sudden-death")
	l.Bids[3].Outcome, l.Bids[3].Reason = "accepted", "" // a late acceptance
	s := &HotLotSummary{Rooms: 1, Lots: []HotLot{l}}
	s.finish()
	n := 0
	for _, b := range s.Buckets {
		n += b.Bids
		if b.Accepted+b.TooLow+b.Late+b.Other+b.Undecided != b.Bids {
			t.Fatalf("bucket %+v does not add up", b)
		}
	}
	if n != len(l.Bids) {
		t.Fatalf("buckets hold %d bids of %d", n, len(l.Bids))
	}
	r := newReport("hotlot", "http://127.0.0.1:1")
	r.HotLot = s
	s.addKV(r)
	var out strings.Builder
	r.WriteTable(&out)
	if !strings.Contains(out.String(), "deadline audit: FAILED") || !strings.Contains(r.SummaryLine(), "hot_accepted_after_deadline=1") {
		t.Fatalf("table:\n%s\nline: %s", out.String(), r.SummaryLine())
	}
	slos, err := ParseSLOs("hot_lot_late_accepted=0,hot_lot_lost=0")
	if err != nil {
		t.Fatal(err)
	}
	checks := r.CheckSLOs(slos)
	if failed := FailedSLOs(checks); len(failed) != 1 || failed[0] != "hot_lot_late_accepted=0" {
		t.Fatalf("failed thresholds %v", failed)
	}
	b, err := r.JUnit(checks, nil)
	if err != nil {
		t.Fatal(err)
	}
	if counts := validateJUnit(t, b); counts != [3]int{4, 2, 0} {
		t.Fatalf("junit counts %v:\n%s", counts, b)
	}
}

// TestHTMLShowsThresholdsAndHotLot: the HTML report draws -slo thresholds
// on the charts of their figures, lists them, and plots every storm bid
// against its deadline.
func TestHTMLShowsThresholdsAndHotLot(t *testing.T) {
	r := sampleReport()
	r.HotLot = &HotLotSummary{Lots: []HotLot{stormedLot("soft-close")}}
	r.HotLot.finish()
	r.Series[2].DecP99 = 70
	slos, _ := ParseSLOs("ack_p95<2ms,server_cpu_cores<=1,decision_p99<50ms")
	r.CheckSLOs(slos)
	path := filepath.Join(t.TempDir(), "r.html")
	if err := r.WriteHTML(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, want := range []string{`stroke-dasharray="6 4"`, "ack_p95&lt;2ms", "server_cpu_cores&lt;=1", "<h2>Thresholds</h2>",
		"decision_p99&lt;50ms", "Bid decision latency", "Hot lot: every storm bid against the deadline", "<circle",
		"Errors per second"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
}
