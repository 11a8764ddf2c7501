package loadtest

import (
	"strings"
	"testing"
)

// auditFixture is a small consistent run: three acked bids on one lot, two
// accepted (b2 wins), one rejected, and a closed result naming b2's bidder.
func auditFixture() ([]ClientBid, ServerRecord) {
	sent := []ClientBid{
		{BidID: "b1", LotID: "L", BidderID: "u1", Amount: 100, Acked: true, AckSeq: 1, Outcome: "accepted"},
		{BidID: "b2", LotID: "L", BidderID: "u2", Amount: 120, Acked: true, AckSeq: 2, Outcome: "accepted"},
		{BidID: "b3", LotID: "L", BidderID: "u1", Amount: 110, Acked: true, AckSeq: 3, Outcome: "rejected", Reason: "too_low"},
		{BidID: "b4", LotID: "L", BidderID: "u1", Amount: 130, ErrorCode: "rate_limited"},
	}
	rec := ServerRecord{Source: "test",
		Bids: []ServerBid{
			{BidID: "b1", LotID: "L", BidderID: "u1", Amount: 100, Outcome: "accepted", Seq: 1},
			{BidID: "b2", LotID: "L", BidderID: "u2", Amount: 120, Outcome: "accepted", Seq: 2},
			{BidID: "b3", LotID: "L", BidderID: "u1", Amount: 110, Outcome: "rejected", Reason: "too_low", Seq: 3},
		},
		Results: []ServerResult{{LotID: "L", Outcome: "sold", WinnerID: "u2", WinningBidID: "b2", Price: 120}},
	}
	return sent, rec
}

func TestAudit(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(sent *[]ClientBid, rec *ServerRecord)
		check  func(a AuditResult) bool
		want   string // substring of the first violation; "" means OK
	}{
		{"consistent run passes", func(*[]ClientBid, *ServerRecord) {}, nil, ""},
		{"injected lost bid: record misses an acked bid", func(_ *[]ClientBid, rec *ServerRecord) {
			rec.Bids = rec.Bids[1:] // drop b1
		}, func(a AuditResult) bool { return a.Lost == 1 }, "lost: bid b1"},
		{"doubled bid", func(_ *[]ClientBid, rec *ServerRecord) {
			rec.Bids = append(rec.Bids, rec.Bids[2])
		}, func(a AuditResult) bool { return a.Doubled == 1 }, "doubled: bid b3"},
		{"told accepted, recorded rejected", func(_ *[]ClientBid, rec *ServerRecord) {
			rec.Bids[0].Outcome, rec.Bids[0].Reason = "rejected", "too_low"
		}, func(a AuditResult) bool { return a.Mismatched >= 1 }, "told accepted"},
		{"wrong winner", func(_ *[]ClientBid, rec *ServerRecord) {
			rec.Results[0].WinnerID = "u1"
		}, func(a AuditResult) bool { return a.WrongWinner == 1 }, "won by u1"},
		{"wrong price", func(_ *[]ClientBid, rec *ServerRecord) {
			rec.Results[0].Price = 100
		}, func(a AuditResult) bool { return a.WrongWinner == 1 }, "sold at 100"},
		{"price went down", func(_ *[]ClientBid, rec *ServerRecord) {
			rec.Bids[1].Seq, rec.Bids[0].Seq = 1, 2 // 120 then 100
		}, func(a AuditResult) bool { return a.Mismatched == 1 }, "does not raise"},
		{"error reply but recorded", func(_ *[]ClientBid, rec *ServerRecord) {
			rec.Bids = append(rec.Bids, ServerBid{BidID: "b4", LotID: "L", BidderID: "u1", Amount: 130, Outcome: "rejected", Seq: 4})
		}, func(a AuditResult) bool { return a.RecordedAfterError == 1 }, "refused with rate_limited"},
		{"unacked but recorded is not a violation", func(sent *[]ClientBid, rec *ServerRecord) {
			*sent = append(*sent, ClientBid{BidID: "b5", LotID: "L", BidderID: "u2", Amount: 90})
			rec.Bids = append(rec.Bids, ServerBid{BidID: "b5", LotID: "L", BidderID: "u2", Amount: 90, Outcome: "rejected", Seq: 5})
		}, func(a AuditResult) bool { return a.Unacked == 1 }, ""},
		{"open lot skips the winner check", func(_ *[]ClientBid, rec *ServerRecord) {
			rec.Results = nil
		}, func(a AuditResult) bool { return a.OpenLots == 1 }, ""},
		{"sold without accepted bids", func(sent *[]ClientBid, rec *ServerRecord) {
			*sent = (*sent)[2:3]
			rec.Bids = rec.Bids[2:]
		}, func(a AuditResult) bool { return a.WrongWinner == 1 }, "no accepted bid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sent, rec := auditFixture()
			tc.mutate(&sent, &rec)
			a := Audit(sent, rec)
			if tc.want == "" {
				if !a.OK {
					t.Fatalf("want OK, got %v", a.Violations)
				}
			} else {
				if a.OK || len(a.Violations) == 0 || !strings.Contains(a.Violations[0], tc.want) {
					t.Fatalf("want a violation containing %q, got OK=%v %v", tc.want, a.OK, a.Violations)
				}
			}
			if tc.check != nil && !tc.check(a) {
				t.Fatalf("counters wrong: %+v", a)
			}
			if a.Checked != 3 && tc.name == "consistent run passes" {
				t.Fatalf("checked %d, want 3", a.Checked)
			}
		})
	}
}
