package loadtest

import (
	"fmt"
	"io"
	"text/tabwriter"
)

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
		row("lost packets (after NACK)", fmt.Sprintf("%d of %d", v.Lost, v.Expected), "0")
		row("delivery ratio (received / sent x viewers)", fmt.Sprintf("%.4f", v.DeliveryRatio), "")
		row("bitrate per viewer video / audio kbit/s", fmt.Sprintf("%.0f / %.0f (publisher %.0f)", v.BitrateKbps, v.AudioKbps, v.PublisherKbps), "")
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
	_ = tw.Flush()
	if r.Audit != nil {
		for _, v := range r.Audit.Violations {
			fmt.Fprintf(w, "audit: %s\n", v)
		}
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "error: %s\n", e)
	}
}
