package loadtest

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseSLOs: any input parses or is refused without panicking; what
// parses names a known figure and a comparison, and parses back the same
// from its own text.
func FuzzParseSLOs(f *testing.F) {
	for _, s := range []string{"decision_p99<50ms,first_frame_p95<1s,loss=0", "delivery_ratio>=0.999", "errors<=3 , ack_p50>1",
		"x<", "<<", "loss==0", "latency_p99<1e400ms", ",,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		slos, err := ParseSLOs(spec)
		if err != nil {
			return
		}
		var texts []string
		for _, s := range slos {
			if _, ok := sloFigures[s.Name]; !ok || !strings.Contains("< <= > >= =", s.Op) || s.Op == "" {
				t.Fatalf("%q parsed into %+v", spec, s)
			}
			texts = append(texts, s.Text)
		}
		again, err := ParseSLOs(strings.Join(texts, ","))
		if err != nil || len(again) != len(slos) {
			t.Fatalf("%q: its own texts %q parse to %v, %v", spec, texts, again, err)
		}
		for i := range again {
			if again[i].Name != slos[i].Name || again[i].Op != slos[i].Op ||
				(again[i].Bound != slos[i].Bound && again[i].Bound == again[i].Bound) {
				t.Fatalf("%q: %+v then %+v", spec, slos[i], again[i])
			}
		}
	})
}

// FuzzParseShard: what parses is a shard in range that prints back as
// itself, and the parts of any total add up over its shards.
func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/1", "3/4", "4/4", "-1/2", "1/0", "01/02", "1/1001", ""} {
		f.Add(s, 1000)
	}
	f.Fuzz(func(t *testing.T, in string, total int) {
		s, err := ParseShard(in)
		if err != nil {
			return
		}
		if s.Index < 0 || s.Index >= s.Count || s.Count > 1000 {
			t.Fatalf("%q parsed into %v", in, s)
		}
		if back, err := ParseShard(s.String()); err != nil || back != s {
			t.Fatalf("%q: %v prints as %q, which parses to %v, %v", in, s, s.String(), back, err)
		}
		total = max(0, total%100000)
		sum := 0
		for i := range s.Count {
			sum += Shard{i, s.Count}.Part(total)
		}
		if sum != total {
			t.Fatalf("%d shards of %d add up to %d", s.Count, total, sum)
		}
	})
}

// FuzzAuditHotLots: the deadline rule over arbitrary storms never panics,
// counts every judged bid once on one side of the deadline, and fails
// exactly when it reports a violation.
func FuzzAuditHotLots(f *testing.F) {
	f.Add(int64(5), []byte{1, 2, 3, 200, 100, 7, 9})
	f.Add(int64(-2), []byte{0, 0, 255, 255})
	f.Fuzz(func(t *testing.T, deadlineSec int64, raw []byte) {
		t0 := time.Date(2026, 12, 5, 20, 0, 0, 0, time.UTC)
		l := HotLot{LotID: "l", Policy: "soft-close", StartDeadline: t0.Add(time.Duration(deadlineSec%60) * time.Second), Result: "sold"}
		outcomes := []string{"accepted", "rejected", ""}
		reasons := []string{"", "too_low", "after_deadline", "lot_not_live"}
		for i := 0; i+2 < len(raw); i += 3 {
			at := t0.Add(time.Duration(int(raw[i])-128) * 50 * time.Millisecond)
			b := HotBid{BidID: string(rune('a' + i)), Acked: raw[i+1]%5 != 0, Seq: int64(i/3 + 1), ReceivedAt: at,
				Outcome: outcomes[int(raw[i+1])%3], Reason: reasons[int(raw[i+2])%4]}
			if raw[i+2]%7 == 0 {
				b.ReceivedAt = time.Time{}
			}
			if b.Outcome == "accepted" {
				l.Accepted = append(l.Accepted, HotAccept{Seq: b.Seq, ReceivedAt: at, Deadline: at.Add(time.Duration(raw[i+2]) * 10 * time.Millisecond)})
			}
			l.Bids = append(l.Bids, b)
		}
		a := AuditHotLots([]HotLot{l})
		if a.Before+a.After != a.Checked || a.OK != (len(a.Violations) == 0) {
			t.Fatalf("audit %+v", a)
		}
		if a.LostBeforeDeadline+a.AcceptedAfterDeadline+a.Undecided+a.OpenLots == 0 && !a.OK {
			t.Fatalf("failed without a counted violation: %+v", a)
		}
	})
}
