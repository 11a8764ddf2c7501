package loadtest

import (
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"os"
	"strings"
)

// chartLine is one series of a chart.
type chartLine struct {
	Name  string
	Color string
	Y     []float64
}

// chart is one SVG line chart over the report's time axis, with the -slo
// thresholds on its figures drawn as dashed lines.
type chart struct {
	Title  string
	Unit   string
	Lines  []chartLine
	Limits []chartLimit
}

const chartW, chartH, padL, padB, padT = 640.0, 220.0, 52.0, 28.0, 12.0

// svg renders the chart as inline SVG: axes, a few gridlines with labels,
// and one polyline per series. Nothing is loaded from anywhere.
func (c chart) svg(t []float64) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="%s">`,
		chartW, chartH, chartW, chartH, template.HTMLEscapeString(c.Title))
	ymax := 0.0
	for _, l := range c.Lines {
		for _, y := range l.Y {
			if !math.IsNaN(y) && y > ymax {
				ymax = y
			}
		}
	}
	for _, l := range c.Limits {
		ymax = max(ymax, l.Value)
	}
	ymax = niceCeil(ymax)
	tmax := 1.0
	if len(t) > 0 && t[len(t)-1] > 0 {
		tmax = t[len(t)-1]
	}
	plotW, plotH := chartW-padL-8, chartH-padB-padT
	x := func(v float64) float64 { return padL + v/tmax*plotW }
	y := func(v float64) float64 { return padT + plotH - v/ymax*plotH }
	for i := 0; i <= 4; i++ {
		v := ymax * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`, padL, y(v), padL+plotW, y(v))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="end">%s</text>`, padL-4, y(v)+3, fmtNum(v))
	}
	for i := 0; i <= 5; i++ {
		v := tmax * float64(i) / 5
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle">%.0fs</text>`, x(v), chartH-10, v)
	}
	fmt.Fprintf(&b, `<text x="4" y="10" font-size="10">%s</text>`, template.HTMLEscapeString(c.Unit))
	for i, l := range c.Lines {
		var pts []string
		for j, v := range l.Y {
			if j < len(t) && !math.IsNaN(v) {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(t[j]), y(v)))
			}
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, l.Color, strings.Join(pts, " "))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" fill="%s">%s</text>`,
			padL+8+float64(i)*110, padT+10, l.Color, template.HTMLEscapeString(l.Name))
	}
	for _, l := range c.Limits {
		color := "#2ca02c"
		if !l.OK {
			color = "#b00"
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="6 4"/>`,
			padL, y(l.Value), padL+plotW, y(l.Value), color)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="end" fill="%s">%s</text>`,
			padL+plotW-2, y(l.Value)-3, color, template.HTMLEscapeString(l.Name))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten (and at least 1).
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func fmtNum(v float64) string {
	if v >= 10 || v == 0 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2g", v)
}

// charts picks the charts that have data for this report.
func (r *Report) charts() []chart {
	col := func(f func(Point) float64) []float64 {
		out := make([]float64, len(r.Series))
		for i, p := range r.Series {
			out[i] = f(p)
		}
		return out
	}
	has := func(v []float64) bool {
		for _, x := range v {
			if x != 0 {
				return true
			}
		}
		return false
	}
	var cs []chart
	add := func(title, unit string, lines ...chartLine) {
		var keep []chartLine
		for _, l := range lines {
			if has(l.Y) {
				keep = append(keep, l)
			}
		}
		if len(keep) > 0 {
			cs = append(cs, chart{Title: title, Unit: unit, Lines: keep, Limits: r.limitsFor(title)})
		}
	}
	add("Forwarding latency (publisher send → viewer receive), per second", "ms",
		chartLine{"p50", "#1f77b4", col(func(p Point) float64 { return p.FwdP50 })},
		chartLine{"p95", "#ff7f0e", col(func(p Point) float64 { return p.FwdP95 })},
		chartLine{"p99", "#d62728", col(func(p Point) float64 { return p.FwdP99 })})
	add("Bid ack latency and broadcast lag, per second", "ms",
		chartLine{"ack p50", "#1f77b4", col(func(p Point) float64 { return p.AckP50 })},
		chartLine{"ack p95", "#ff7f0e", col(func(p Point) float64 { return p.AckP95 })},
		chartLine{"ack p99", "#d62728", col(func(p Point) float64 { return p.AckP99 })},
		chartLine{"watcher lag p95", "#9467bd", col(func(p Point) float64 { return p.LagP95 })})
	add("Bid decision latency (bid.place → the bidder's own outcome), per second", "ms",
		chartLine{"p95", "#ff7f0e", col(func(p Point) float64 { return p.DecP95 })},
		chartLine{"p99", "#d62728", col(func(p Point) float64 { return p.DecP99 })})
	add("Browser delays (mean over tabs, 2 s deltas)", "ms",
		chartLine{"jitter buffer", "#2ca02c", col(func(p Point) float64 { return p.JitterMs })},
		chartLine{"processing", "#8c564b", col(func(p Point) float64 { return p.ProcessingMs })})
	add("CPU", "cores",
		chartLine{"server", "#d62728", col(func(p Point) float64 { return p.ServerCPU })},
		chartLine{"generator", "#7f7f7f", col(func(p Point) float64 { return p.GenCPU })})
	add("Server RSS", "MiB", chartLine{"server RSS", "#17becf", col(func(p Point) float64 { return p.ServerRSSMiB })})
	add("Viewers connected", "count",
		chartLine{"media viewers", "#2ca02c", col(func(p Point) float64 { return float64(p.Viewers) })},
		chartLine{"WebSocket clients", "#1f77b4", col(func(p Point) float64 { return float64(p.WSConns) })})
	add("Bids and chat per second", "per s",
		chartLine{"bids sent", "#1f77b4", col(func(p Point) float64 { return p.BidsPerSec })},
		chartLine{"accepted", "#2ca02c", col(func(p Point) float64 { return p.AcceptedPS })},
		chartLine{"chat", "#bcbd22", col(func(p Point) float64 { return p.ChatPerSec })})
	add(errorsChart, "per s", chartLine{"errors", "#b00", r.errorsPerPoint()})
	return cs
}

var reportTmpl = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bidcast load test: {{.R.Kind}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:70rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}
figure{display:inline-block;margin:0 1rem 1rem 0}figcaption{font-weight:600;font-size:.9rem}
pre{background:#f6f6f6;padding:.5rem;overflow:auto;font-size:.8rem}.bad{color:#b00;font-weight:600}
</style></head><body>
<h1>Bidcast load test: {{.R.Kind}}</h1>
<p>Target {{.R.Target}} · started {{.R.Started.Format "2006-01-02 15:04:05 MST"}} · {{printf "%.1f" .R.Seconds}} s ·
{{.R.Host.Cores}} cores · {{.R.Host.GoVersion}}</p>
<h2>Summary</h2>
<table>{{range .R.KV}}<tr><th>{{.Key}}</th><td>{{.Val}}</td></tr>{{end}}</table>
{{if .R.Thresholds}}<h2>Thresholds</h2>
<table>{{range .R.Thresholds}}<tr><th>{{.Text}}</th><td class="{{if not .OK}}bad{{end}}">{{if .OK}}met{{else}}MISSED{{end}}</td><td>{{.Message}}</td></tr>{{end}}</table>{{end}}
{{if .R.Audit}}<h2>Correctness audit</h2>
<p class="{{if not .R.Audit.OK}}bad{{end}}">{{if .R.Audit.OK}}passed{{else}}FAILED{{end}}:
{{.R.Audit.Checked}} acknowledged bids checked against {{.R.Audit.Source}}.</p>
{{if .R.Audit.Violations}}<ul>{{range .R.Audit.Violations}}<li>{{.}}</li>{{end}}</ul>{{end}}{{end}}
{{if .R.HotLot}}<h2>Hot lot: every storm bid against the deadline</h2>
<p class="{{if not .R.HotLot.Audit.OK}}bad{{end}}">Deadline audit {{if .R.HotLot.Audit.OK}}passed{{else}}FAILED{{end}}:
{{.R.HotLot.Audit.Checked}} bids checked, {{.R.HotLot.Audit.Before}} received before the deadline in force and
{{.R.HotLot.Audit.After}} after; {{.R.HotLot.Audit.LostBeforeDeadline}} lost before it,
{{.R.HotLot.Audit.AcceptedAfterDeadline}} accepted after it.</p>
{{if .R.HotLot.Audit.Violations}}<ul>{{range .R.HotLot.Audit.Violations}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{range .HotLots}}<figure><figcaption>{{.Title}}</figcaption>{{.SVG}}</figure>{{end}}
<table><tr><th>received − deadline (ms)</th><th>bids</th><th>accepted</th><th>too_low</th><th>late</th><th>other</th><th>undecided</th></tr>
{{range .R.HotLot.Buckets}}{{if .Bids}}<tr><td>{{printf "%.0f" .FromMS}} … {{printf "%.0f" .ToMS}}</td><td>{{.Bids}}</td><td>{{.Accepted}}</td><td>{{.TooLow}}</td><td>{{.Late}}</td><td>{{.Other}}</td><td>{{.Undecided}}</td></tr>{{end}}{{end}}</table>{{end}}
<h2>Over time</h2>
{{range .Charts}}<figure><figcaption>{{.Title}}</figcaption>{{.SVG}}</figure>{{end}}
{{if .R.Errors}}<h2>Errors (first {{len .R.Errors}} of {{.R.ErrorCount}})</h2><ul>{{range .R.Errors}}<li>{{.}}</li>{{end}}</ul>{{end}}
<h2>Raw report</h2><pre>{{.JSON}}</pre>
</body></html>
`))

// WriteHTML writes a self-contained HTML report (inline SVG, no scripts,
// nothing fetched) to path.
func (r *Report) WriteHTML(path string) error {
	t := make([]float64, len(r.Series))
	for i, p := range r.Series {
		t[i] = p.T
	}
	type rendered struct {
		Title string
		SVG   template.HTML
	}
	var cs []rendered
	for _, c := range r.charts() {
		cs = append(cs, rendered{Title: c.Title, SVG: c.svg(t)})
	}
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create HTML report: %w", err)
	}
	defer f.Close()
	var hot []rendered
	if r.HotLot != nil {
		for _, l := range r.HotLot.Lots {
			hot = append(hot, rendered{Title: fmt.Sprintf("%s lot %s (%s)", l.Policy, l.LotID, l.Result), SVG: hotLotSVG(l)})
		}
	}
	if err := reportTmpl.Execute(f, map[string]any{"R": r, "Charts": cs, "HotLots": hot, "JSON": string(raw)}); err != nil {
		return fmt.Errorf("render HTML report: %w", err)
	}
	return f.Close()
}
