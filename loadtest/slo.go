package loadtest

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SLO is one pass/fail threshold on a report figure, parsed from -slo
// ("decision_p99<50ms"): the figure's name, a comparison and a bound.
// Durations are compared in milliseconds.
type SLO struct {
	Name  string  `json:"name"`
	Op    string  `json:"op"` // <, <=, >, >=, =
	Bound float64 `json:"bound"`
	Unit  string  `json:"unit,omitempty"` // "ms" for durations
	Text  string  `json:"text"`           // as written
}

// SLOCheck is a threshold checked against a report.
type SLOCheck struct {
	SLO
	Measured bool    `json:"measured"`
	Value    float64 `json:"value"`
	OK       bool    `json:"ok"`
	Message  string  `json:"message"`
}

// ParseSLOs reads a comma-separated list of thresholds such as
// "decision_p99<50ms,first_frame_p95<1s,loss=0". Each names a figure of
// SLOFigures; the bound is a number or a Go duration ("50ms", "1s").
func ParseSLOs(spec string) ([]SLO, error) {
	var out []SLO
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		i := strings.IndexAny(part, "<>=")
		if i <= 0 {
			return nil, fmt.Errorf("slo %q: want name<bound, name<=bound, name>bound, name>=bound or name=bound", part)
		}
		s := SLO{Name: strings.TrimSpace(part[:i]), Text: part}
		rest := part[i:]
		for _, op := range []string{"<=", ">=", "<", ">", "="} {
			if strings.HasPrefix(rest, op) {
				s.Op, rest = op, strings.TrimSpace(rest[len(op):])
				break
			}
		}
		if _, ok := sloFigures[s.Name]; !ok {
			return nil, fmt.Errorf("slo %q: unknown figure %q (known: %s)", part, s.Name, strings.Join(SLOFigures(), ", "))
		}
		if v, err := strconv.ParseFloat(rest, 64); err == nil {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("slo %q: bound must be a finite number", part)
			}
			s.Bound = v
		} else if d, derr := time.ParseDuration(rest); derr == nil {
			s.Bound, s.Unit = msf(d), "ms"
		} else {
			return nil, fmt.Errorf("slo %q: bound %q is neither a number nor a duration", part, rest)
		}
		out = append(out, s)
	}
	return out, nil
}

// figure reads one figure from a report; ok is false when the run did not
// measure it.
type figure func(r *Report) (v float64, ok bool)

func quantileFigures(m map[string]figure, prefix string, get func(r *Report) (Quantiles, bool)) {
	for suffix, pick := range map[string]func(Quantiles) float64{
		"_p50": func(q Quantiles) float64 { return q.P50 }, "_p95": func(q Quantiles) float64 { return q.P95 },
		"_p99": func(q Quantiles) float64 { return q.P99 }, "_max": func(q Quantiles) float64 { return q.Max },
	} {
		m[prefix+suffix] = func(r *Report) (float64, bool) {
			q, ok := get(r)
			if !ok || q.N == 0 {
				return 0, false
			}
			return pick(q), true
		}
	}
}

// sloFigures names every figure a threshold can test.
var sloFigures = func() map[string]figure {
	m := map[string]figure{}
	bids := func(f func(*BidsSummary) Quantiles) func(*Report) (Quantiles, bool) {
		return func(r *Report) (Quantiles, bool) {
			if r.Bids == nil {
				return Quantiles{}, false
			}
			return f(r.Bids), true
		}
	}
	quantileFigures(m, "ack", bids(func(b *BidsSummary) Quantiles { return b.Ack }))
	quantileFigures(m, "decision", bids(func(b *BidsSummary) Quantiles { return b.Decision }))
	quantileFigures(m, "lag", bids(func(b *BidsSummary) Quantiles { return b.Lag }))
	quantileFigures(m, "chat_lag", bids(func(b *BidsSummary) Quantiles { return b.ChatLag }))
	viewers := func(f func(*ViewersSummary) Quantiles) func(*Report) (Quantiles, bool) {
		return func(r *Report) (Quantiles, bool) {
			if r.Viewers == nil {
				return Quantiles{}, false
			}
			return f(r.Viewers), true
		}
	}
	quantileFigures(m, "latency", viewers(func(v *ViewersSummary) Quantiles { return v.Latency }))
	quantileFigures(m, "arrival", func(r *Report) (Quantiles, bool) {
		if r.Viewers == nil || r.Viewers.Arrival.N == 0 { // not stamped: not measured
			return Quantiles{}, false
		}
		return r.Viewers.Arrival, true
	})
	quantileFigures(m, "connect", viewers(func(v *ViewersSummary) Quantiles { return v.Connect }))
	quantileFigures(m, "first_key", viewers(func(v *ViewersSummary) Quantiles { return v.FirstKey }))
	browsers := func(f func(*BrowsersSummary) Quantiles) func(*Report) (Quantiles, bool) {
		return func(r *Report) (Quantiles, bool) {
			if r.Browsers == nil {
				return Quantiles{}, false
			}
			return f(r.Browsers), true
		}
	}
	quantileFigures(m, "jitter_buffer", browsers(func(b *BrowsersSummary) Quantiles { return b.JitterBuffer }))
	quantileFigures(m, "processing", browsers(func(b *BrowsersSummary) Quantiles { return b.Processing }))
	quantileFigures(m, "bid_rtt", browsers(func(b *BrowsersSummary) Quantiles { return b.BidRTT }))
	// first_frame is a browser tab's first frame, or, in a run without
	// browsers, a synthetic viewer's first keyframe (its first frame).
	quantileFigures(m, "first_frame", func(r *Report) (Quantiles, bool) {
		if r.Browsers != nil {
			return r.Browsers.FirstFrame, true
		}
		if r.Viewers != nil {
			return r.Viewers.FirstKey, true
		}
		return Quantiles{}, false
	})
	// loss: media packets viewers never got: sequence gaps after NACK and
	// packets the SFU skipped (viewers), and getStats' packetsLost (tabs).
	m["loss"] = func(r *Report) (float64, bool) {
		if r.Viewers == nil && r.Browsers == nil {
			return 0, false
		}
		var n float64
		if v := r.Viewers; v != nil {
			n += float64(v.Lost) + float64(v.Undelivered)
		}
		if b := r.Browsers; b != nil {
			n += float64(b.PacketsLost)
		}
		return n, true
	}
	m["delivery_ratio"] = func(r *Report) (float64, bool) {
		if r.Viewers == nil {
			return 0, false
		}
		return r.Viewers.DeliveryRatio, true
	}
	m["freezes"] = func(r *Report) (float64, bool) {
		if r.Viewers == nil && r.Browsers == nil {
			return 0, false
		}
		var n float64
		if r.Viewers != nil {
			n += float64(r.Viewers.Freezes)
		}
		if r.Browsers != nil {
			n += float64(r.Browsers.Freezes)
		}
		return n, true
	}
	m["failed"] = func(r *Report) (float64, bool) {
		if r.Viewers == nil && r.Browsers == nil {
			return 0, false
		}
		var n float64
		if r.Viewers != nil {
			n += float64(r.Viewers.Failed)
		}
		if r.Browsers != nil {
			n += float64(r.Browsers.Failed)
		}
		return n, true
	}
	m["errors"] = func(r *Report) (float64, bool) { return float64(r.ErrorCount), true }
	m["bid_rate"] = func(r *Report) (float64, bool) {
		if r.Bids == nil {
			return 0, false
		}
		return r.Bids.AchievedRate, true
	}
	m["error_replies"] = func(r *Report) (float64, bool) {
		if r.Bids == nil {
			return 0, false
		}
		return float64(r.Bids.ErrorReplies), true
	}
	m["audit_violations"] = func(r *Report) (float64, bool) {
		if r.Audit == nil {
			return 0, false
		}
		return float64(len(r.Audit.Violations)), true
	}
	m["server_cpu_cores"] = func(r *Report) (float64, bool) {
		if r.Server == nil {
			return 0, false
		}
		return r.Server.CPUCores, true
	}
	m["server_rss_mib"] = func(r *Report) (float64, bool) {
		if r.Server == nil {
			return 0, false
		}
		return max(r.Server.RSSMiB, r.Server.PeakRSSMiB), true
	}
	addHotLotFigures(m)
	return m
}()

// SLOFigures lists the names a threshold may use.
func SLOFigures() []string {
	out := make([]string, 0, len(sloFigures))
	for k := range sloFigures {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Check tests the threshold against a report. A figure the run did not
// measure fails: a threshold nobody checked is not met.
func (s SLO) Check(r *Report) SLOCheck {
	c := SLOCheck{SLO: s}
	c.Value, c.Measured = sloFigures[s.Name](r)
	if !c.Measured {
		c.Message = fmt.Sprintf("%s was not measured by this run (%s)", s.Name, r.Kind)
		return c
	}
	switch s.Op {
	case "<":
		c.OK = c.Value < s.Bound
	case "<=":
		c.OK = c.Value <= s.Bound
	case ">":
		c.OK = c.Value > s.Bound
	case ">=":
		c.OK = c.Value >= s.Bound
	case "=":
		c.OK = c.Value == s.Bound
	}
	verdict := "met"
	if !c.OK {
		verdict = "MISSED"
	}
	c.Message = fmt.Sprintf("%s = %s%s, want %s %s%s: %s", s.Name, strconv.FormatFloat(c.Value, 'g', 6, 64), s.Unit,
		s.Op, strconv.FormatFloat(s.Bound, 'g', 6, 64), s.Unit, verdict)
	return c
}

// CheckSLOs checks every threshold and keeps the results in the report
// (its JSON, table, HTML and JUnit outputs show them).
func (r *Report) CheckSLOs(slos []SLO) []SLOCheck {
	r.Thresholds = r.Thresholds[:0]
	for _, s := range slos {
		r.Thresholds = append(r.Thresholds, s.Check(r))
	}
	for _, c := range r.Thresholds {
		r.add("slo_"+c.Name, map[bool]string{true: "ok", false: "MISSED"}[c.OK])
	}
	return r.Thresholds
}

// FailedSLOs returns the thresholds missed, as written.
func FailedSLOs(checks []SLOCheck) []string {
	var out []string
	for _, c := range checks {
		if !c.OK {
			out = append(out, c.Text)
		}
	}
	return out
}
