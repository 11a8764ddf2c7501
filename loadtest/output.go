package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// Schema names the version of the JSON report; a change that renames or
// removes a field bumps it.
const Schema = "bidcast.loadtest/v1"

// Report is what every subcommand produces: the JSON document (see doc.go
// for the schema), the console table, the HTML report and the summary line
// are all rendered from it.
type Report struct {
	Schema  string    `json:"schema"`
	Kind    string    `json:"kind"` // viewers, browsers, bids or scenario
	Target  string    `json:"target"`
	Started time.Time `json:"started"`
	// Seconds is the wall time of the whole run, ramp included.
	Seconds float64  `json:"seconds"`
	Host    HostInfo `json:"host"`
	Args    []string `json:"args,omitempty"`

	Viewers  *ViewersSummary  `json:"viewers,omitempty"`
	Browsers *BrowsersSummary `json:"browsers,omitempty"`
	Bids     *BidsSummary     `json:"bids,omitempty"`
	Audit    *AuditResult     `json:"audit,omitempty"`
	HotLot   *HotLotSummary   `json:"hot_lot,omitempty"`

	// Server is the target process's CPU and memory over the measured
	// window, when a pid or a /metrics URL was available.
	Server *ProcSummary `json:"server,omitempty"`
	// Generator is this process (and, for browsers, its Chromium children).
	Generator ProcSummary `json:"generator"`
	// Series has one point per sampling interval (1 s) for the charts.
	Series []Point `json:"series"`
	// ErrorCount counts every error; Errors keeps the first 20 messages.
	ErrorCount int      `json:"error_count"`
	Errors     []string `json:"errors,omitempty"`
	// ErrorTimes are the first 10,000 errors' times, seconds since the
	// start, for the errors chart.
	ErrorTimes []float64 `json:"error_times,omitempty"`
	KV         []KeyVals `json:"-"`
	// Thresholds are the -slo checks, when any were given.
	Thresholds []SLOCheck `json:"thresholds,omitempty"`
	// Shards is how many generators' samples `loadtest merge` put
	// together (absent for a single process).
	Shards int `json:"shards,omitempty"`

	errMu sync.Mutex // guards ErrorCount and Errors during a run
	raw   *Samples   // the run's raw samples, for -samples (see samples.go)
}

// HostInfo describes the machine the generator ran on.
type HostInfo struct {
	Cores     int    `json:"cores"`
	GoVersion string `json:"go_version"`
	Hostname  string `json:"hostname"`
}

// KeyVals is one key=value pair of the summary line, in order.
type KeyVals struct {
	Key, Val string
}

// Quantiles summarises a latency distribution in milliseconds.
type Quantiles struct {
	N   uint64  `json:"n"`
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// ProcSummary is a process's resource use over a window.
type ProcSummary struct {
	Source     string  `json:"source"` // "/proc/<pid>", a /metrics URL, or "self"
	CPUCores   float64 `json:"cpu_cores"`
	RSSMiB     float64 `json:"rss_mib"`
	PeakRSSMiB float64 `json:"peak_rss_mib,omitempty"`
}

// Point is one sampling interval of the time series. Latencies are the
// quantiles of the samples recorded in that interval only.
type Point struct {
	T            float64 `json:"t"`                        // seconds since the start
	Viewers      int     `json:"viewers"`                  // WHEP viewers or browser tabs receiving media
	WSConns      int     `json:"ws_connections,omitempty"` // bidders and watchers connected
	FwdP50       float64 `json:"fwd_p50_ms,omitempty"`
	FwdP95       float64 `json:"fwd_p95_ms,omitempty"`
	FwdP99       float64 `json:"fwd_p99_ms,omitempty"`
	AckP50       float64 `json:"ack_p50_ms,omitempty"`
	AckP95       float64 `json:"ack_p95_ms,omitempty"`
	AckP99       float64 `json:"ack_p99_ms,omitempty"`
	LagP95       float64 `json:"lag_p95_ms,omitempty"`
	DecP95       float64 `json:"decision_p95_ms,omitempty"`
	DecP99       float64 `json:"decision_p99_ms,omitempty"`
	BidsPerSec   float64 `json:"bids_per_s"`
	AcceptedPS   float64 `json:"accepted_per_s"`
	ChatPerSec   float64 `json:"chat_per_s,omitempty"`
	JitterMs     float64 `json:"jitter_buffer_ms,omitempty"`
	ProcessingMs float64 `json:"processing_ms,omitempty"`
	ServerCPU    float64 `json:"server_cpu_cores"`
	ServerRSSMiB float64 `json:"server_rss_mib"`
	GenCPU       float64 `json:"gen_cpu_cores"`
}

// newReport starts a report of the given kind.
func newReport(kind, target string) *Report {
	host, _ := os.Hostname()
	return &Report{Schema: Schema, Kind: kind, Target: target, Started: time.Now(),
		Host: HostInfo{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), Hostname: host}}
}

// quantilesOf summarises a histogram.
func quantilesOf(h *Histogram) Quantiles {
	if h == nil || h.Count() == 0 {
		return Quantiles{}
	}
	return Quantiles{N: h.Count(), P50: msf(h.Quantile(.5)), P95: msf(h.Quantile(.95)),
		P99: msf(h.Quantile(.99)), Max: msf(h.Max())}
}

// quantilesOfData summarises a histogram's snapshot.
func quantilesOfData(d HistogramData) Quantiles {
	h, err := histogramOf(d)
	if err != nil {
		return Quantiles{}
	}
	return quantilesOf(h)
}

// quantilesOfDurations summarises an exact list of durations.
func quantilesOfDurations(d durations) Quantiles {
	if len(d) == 0 {
		return Quantiles{}
	}
	return Quantiles{N: uint64(len(d)), P50: msf(d.quantile(.5)), P95: msf(d.quantile(.95)),
		P99: msf(d.quantile(.99)), Max: msf(d.max())}
}

// quantilesOfFloats summarises plain millisecond values.
func quantilesOfFloats(v []float64) Quantiles {
	if len(v) == 0 {
		return Quantiles{}
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	at := func(q float64) float64 {
		i := int(q*float64(len(s))+0.999999) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return Quantiles{N: uint64(len(s)), P50: at(.5), P95: at(.95), P99: at(.99), Max: s[len(s)-1]}
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// add appends a key=value pair to the summary line.
func (r *Report) add(key string, val any) {
	var s string
	switch v := val.(type) {
	case float64:
		s = strconv.FormatFloat(v, 'f', 2, 64)
	case string:
		s = strings.ReplaceAll(v, " ", "_")
	default:
		s = fmt.Sprint(v)
	}
	r.KV = append(r.KV, KeyVals{Key: key, Val: s})
}

// addQ adds the p50, p95 and p99 of q under prefix.
func (r *Report) addQ(prefix string, q Quantiles) {
	r.add(prefix+"_p50_ms", q.P50)
	r.add(prefix+"_p95_ms", q.P95)
	r.add(prefix+"_p99_ms", q.P99)
}

// SummaryLine is the compact key=value line printed last on stdout. It
// starts with loadtest=<kind> and ends with errors=<n>.
func (r *Report) SummaryLine() string {
	parts := []string{"loadtest=" + r.Kind}
	for _, kv := range r.KV {
		parts = append(parts, kv.Key+"="+kv.Val)
	}
	if r.Server != nil {
		parts = append(parts, fmt.Sprintf("server_cpu_cores=%.2f", r.Server.CPUCores),
			fmt.Sprintf("server_rss_mib=%.1f", r.Server.RSSMiB))
	}
	parts = append(parts, fmt.Sprintf("gen_cpu_cores=%.2f", r.Generator.CPUCores),
		fmt.Sprintf("seconds=%.1f", r.Seconds), fmt.Sprintf("errors=%d", r.ErrorCount))
	return strings.Join(parts, " ")
}

// WriteJSON writes the report to path (indented).
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// noteError records an error for the report, keeping the first few of
// each kind so a thousand identical failures do not flood it.
func (r *Report) noteError(msg string) {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	r.ErrorCount++
	if len(r.ErrorTimes) < 10000 {
		r.ErrorTimes = append(r.ErrorTimes, time.Since(r.Started).Seconds())
	}
	if len(r.Errors) < 20 {
		r.Errors = append(r.Errors, msg)
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// q3 formats p50 / p95 / p99 / max.
func q3(q Quantiles) string {
	return fmt.Sprintf("%.2f / %.2f / %.2f / %.2f (n=%d)", q.P50, q.P95, q.P99, q.Max, q.N)
}

// WriteTable prints the report as a console table: one row per figure,
// with the target where there is one.
func (r *Report) WriteTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(name, val, target string) { fmt.Fprintf(tw, "%s\t%s\t%s\n", name, val, target) }
	fmt.Fprintln(tw, "metric\tvalue\ttarget")
	if v := r.Viewers; v != nil {
		row("viewers connected", fmt.Sprintf("%d/%d (failed %d, no keyframe %d)", v.Connected, v.Viewers, v.Failed, v.NoKeyframe), "")
		row("connect p50/p95/p99/max ms", q3(v.Connect), "")
		row("WHEP POST -> first keyframe p50/p95/p99/max ms", q3(v.FirstKey), "p95 <= 300")
		row("forwarding latency p50/p95/p99/max ms", q3(v.Latency), "p99 <= 10")
		if v.Arrival.N > 0 {
			row("  to the viewer's socket (kernel stamp) p50/p95/p99/max ms", q3(v.Arrival), "")
		}
		row("lost packets (after NACK)", fmt.Sprintf("%d of %d", v.Lost, v.Expected), "0")
		row("delivery ratio (received / sent by own publisher while watched)", fmt.Sprintf("%.4f (%d not forwarded)", v.DeliveryRatio, v.Undelivered), "")
		row("bitrate per viewer video / audio kbit/s", fmt.Sprintf("%.0f / %.0f (per publisher %.0f)", v.BitrateKbps, v.AudioKbps, v.PublisherKbps), "")
		row("freezes (viewers with one) / total s", fmt.Sprintf("%d (%d) / %.1f", v.Freezes, v.ViewersWithFreeze, v.FreezeSeconds), "0")
		row("publisher PLIs / keyframes sent", fmt.Sprintf("%d / %d", v.PublisherPLIs, v.PublisherKeyframe), "")
		if v.ServerCPUPerViewerSecond > 0 {
			row("server CPU ms per viewer-second", fmt.Sprintf("%.3f", v.ServerCPUPerViewerSecond), "<= 1.0")
		}
	}
	if b := r.Browsers; b != nil {
		row("tabs playing / opened", fmt.Sprintf("%d / %d (failed %d)", b.Playing, b.Tabs, b.Failed), ">= 8")
		row("page load -> first frame p50/p95/p99/max ms", q3(b.FirstFrame), "")
		row("jitter buffer delay p50/p95/p99/max ms", q3(b.JitterBuffer), "")
		row("processing delay p50/p95/p99/max ms", q3(b.Processing), "")
		row("decode time per frame p50/p95/p99/max ms", q3(b.Decode), "")
		row("RTT p50/p95/p99/max ms", q3(b.RTT), "")
		row("freezes / total s", fmt.Sprintf("%d / %.1f", b.Freezes, b.FreezeSeconds), "")
		row("packets lost / received", fmt.Sprintf("%d / %d", b.PacketsLost, b.PacketsReceived), "")
		row("fps mean", fmt.Sprintf("%.1f", b.FPS), "")
		row("page bid round-trip (sent -> ack) p50/p95/p99/max ms", q3(b.BidRTT), "")
		row("page bid decision (sent -> accepted/rejected) p50/p95/p99/max ms", q3(b.BidDecision), "")
	}
	if b := r.Bids; b != nil {
		row("rooms / bidders / watchers", fmt.Sprintf("%d / %d / %d", b.Rooms, b.Bidders, b.Watchers), "")
		row("bids sent (target rate /s)", fmt.Sprintf("%d (%.1f/s, achieved %.1f/s)", b.Sent, b.TargetRate, b.AchievedRate), "")
		row("acked / accepted / rejected / undecided", fmt.Sprintf("%d / %d / %d / %d", b.Acked, b.Accepted, b.Rejected, b.Undecided), "")
		row("refused with error / send failures", fmt.Sprintf("%d / %d", b.ErrorReplies, b.SendFailures), "")
		row("ack latency p50/p95/p99/max ms", q3(b.Ack), "")
		row("decision latency p50/p95/p99/max ms", q3(b.Decision), "")
		row("broadcast lag to watchers p50/p95/p99/max ms", q3(b.Lag), "")
		if b.ChatSent > 0 {
			row("chat sent / lag p95 ms", fmt.Sprintf("%d / %.2f", b.ChatSent, b.ChatLag.P95), "")
		}
		for reason, n := range b.Reasons {
			row("  rejected: "+reason, fmt.Sprint(n), "")
		}
		for code, n := range b.ErrorCodes {
			row("  error: "+code, fmt.Sprintf("%d (%s)", n, b.ErrorExamples[code]), "")
		}
	}
	if a := r.Audit; a != nil {
		status := "passed"
		if !a.OK {
			status = "FAILED"
		}
		row("audit ("+a.Source+")", fmt.Sprintf("%s: %d bids, %d lots checked, %d violations", status, a.Checked, a.Lots, len(a.Violations)), "0 violations")
	}
	if s := r.Server; s != nil {
		row("server CPU cores / RSS / peak MiB", fmt.Sprintf("%.2f / %.1f / %.1f (%s)", s.CPUCores, s.RSSMiB, s.PeakRSSMiB, s.Source), "")
	}
	row("generator CPU cores / RSS MiB", fmt.Sprintf("%.2f / %.1f", r.Generator.CPUCores, r.Generator.RSSMiB), "")
	for _, c := range r.Thresholds {
		status := "ok"
		if !c.OK {
			status = "MISSED"
		}
		row("threshold "+c.Text, status, c.Message)
	}
	_ = tw.Flush()
	if r.Audit != nil {
		for _, v := range r.Audit.Violations {
			fmt.Fprintf(w, "audit: %s\n", v)
		}
	}
	if r.HotLot != nil {
		r.HotLot.writeTable(w)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "error: %s\n", e)
	}
}
