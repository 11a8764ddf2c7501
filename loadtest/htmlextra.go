package loadtest

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// chartLimit is a threshold drawn across a chart.
type chartLimit struct {
	Name  string
	Value float64
	OK    bool
}

const errorsChart = "Errors per second"

// chartFigures names, per chart (by its title's start), the -slo figures
// its lines show.
var chartFigures = map[string][]string{
	"Forwarding latency": {"latency_p50", "latency_p95", "latency_p99"},
	"Bid ack latency":    {"ack_p50", "ack_p95", "ack_p99", "lag_p95"},
	"Bid decision":       {"decision_p95", "decision_p99"},
	"Browser delays":     {"jitter_buffer_p50", "jitter_buffer_p95", "processing_p50", "processing_p95"},
	"CPU":                {"server_cpu_cores"},
	"Server RSS":         {"server_rss_mib"},
	"Bids and chat":      {"bid_rate"},
}

// limitsFor returns the thresholds to draw on the chart of title.
// Thresholds on figures with no per-second line (first frame, loss,
// audits) are in the thresholds table only.
func (r *Report) limitsFor(title string) []chartLimit {
	var out []chartLimit
	for prefix, figs := range chartFigures {
		if !strings.HasPrefix(title, prefix) {
			continue
		}
		for _, c := range r.Thresholds {
			for _, f := range figs {
				if c.Name == f {
					out = append(out, chartLimit{Name: c.Text, Value: c.Bound, OK: c.OK})
				}
			}
		}
	}
	return out
}

// errorsPerPoint counts the errors noted in each sampling interval.
func (r *Report) errorsPerPoint() []float64 {
	out := make([]float64, len(r.Series))
	for _, at := range r.ErrorTimes {
		for i, p := range r.Series {
			prev := 0.0
			if i > 0 {
				prev = r.Series[i-1].T
			}
			if at > prev && at <= p.T || (i == 0 && at <= p.T) {
				out[i]++
				break
			}
		}
	}
	return out
}

// hotLotSVG draws every storm bid of a lot: across, its receive time
// against the deadline in force (the bidder's send estimate when no decision
// came back), clamped to [−6 s, +1.5 s]; down, one row per outcome.
func hotLotSVG(l HotLot) template.HTML {
	rows := []struct{ name, color string }{{"accepted", "#2ca02c"}, {"too_low", "#1f77b4"}, {"late", "#ff7f0e"},
		{"other", "#7f7f7f"}, {"undecided", "#b00"}}
	const lo, hi = -6000.0, 1500.0
	const w, h, left, top, rowH = 640.0, 150.0, 70.0, 10.0, 24.0
	plotW := w - left - 10
	x := func(ms float64) float64 { return left + (math.Max(lo, math.Min(hi, ms))-lo)/(hi-lo)*plotW }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="bids against the deadline">`, w, h, w, h)
	for i, r := range rows {
		y := top + float64(i)*rowH + rowH/2
		fmt.Fprintf(&b, `<text x="4" y="%.1f" font-size="10" fill="%s">%s</text>`, y+3, r.color, r.name)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#eee"/>`, left, y, left+plotW, y)
	}
	for _, ms := range []float64{-6000, -5000, -4000, -3000, -2000, -1000, 0, 1000} {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle">%+.0fs</text>`, x(ms), h-4, ms/1000)
	}
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#b00" stroke-dasharray="4 3"/>`,
		x(0), top, x(0), top+float64(len(rows))*rowH)
	for i, bid := range l.Bids {
		if !bid.Acked {
			continue
		}
		at := bid.SentToDeadlineMS
		if !bid.ReceivedAt.IsZero() {
			at = bid.ReceivedToDeadlineMS
		}
		row := 3
		switch {
		case bid.Outcome == "accepted":
			row = 0
		case bid.Outcome == "":
			row = 4
		case bid.Reason == "too_low":
			row = 1
		case lateReasons[bid.Reason]:
			row = 2
		}
		jitter := float64(i%7-3) * 2.5 // spread dots in a row
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2" fill="%s" fill-opacity=".6"/>`,
			x(at), top+float64(row)*rowH+rowH/2+jitter, rows[row].color)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
