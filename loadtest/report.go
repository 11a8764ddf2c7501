package loadtest

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

// ServerCPUPerViewerSecond is the server's CPU time per viewer per second of
// the steady phase, in milliseconds.
func (r *ViewersResult) ServerCPUPerViewerSecond() float64 {
	if !r.ServerEnd.Exists || r.Connected == 0 || r.Steady <= 0 {
		return 0
	}
	cpu := r.ServerEnd.CPU - r.Server.CPU
	return float64(cpu) / float64(time.Millisecond) / (float64(r.Connected) * r.Steady.Seconds())
}

// GeneratorCores is this process's CPU use during the steady phase, in cores.
func (r *ViewersResult) GeneratorCores() float64 {
	if r.Steady <= 0 {
		return 0
	}
	return float64(r.GenEnd.CPU-r.Gen.CPU) / float64(r.Steady)
}

// Write prints the table and the final key=value summary line.
func (r *ViewersResult) Write(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tvalue\ttarget")
	fmt.Fprintf(tw, "viewers connected\t%d/%d (failed %d, no keyframe %d)\t\n", r.Connected, r.Viewers, r.Failed, r.NoKeyframe)
	fmt.Fprintf(tw, "connect p50/p95/max ms\t%s / %s / %s\t\n", ms(r.Connect.quantile(.5)), ms(r.Connect.quantile(.95)), ms(r.Connect.max()))
	fmt.Fprintf(tw, "WHEP POST -> first keyframe p50/p95/max ms\t%s / %s / %s\tp95 <= 300\n",
		ms(r.FirstKey.quantile(.5)), ms(r.FirstKey.quantile(.95)), ms(r.FirstKey.max()))
	fmt.Fprintf(tw, "forwarding latency p50/p95/p99/max ms\t%s / %s / %s / %s (%d samples)\tp99 <= 10\n",
		ms(r.Latency.Quantile(.5)), ms(r.Latency.Quantile(.95)), ms(r.Latency.Quantile(.99)), ms(r.Latency.Max()), r.Latency.Count())
	fmt.Fprintf(tw, "lost packets (after NACK)\t%d of %d\t0\n", r.Lost, r.Expected)
	fmt.Fprintf(tw, "packets delivered / sent x viewers\t%d / %d (%.4f)\t\n", r.ViewerPackets,
		r.PublisherPackets*int64(r.Connected), r.DeliveryRatio())
	fmt.Fprintf(tw, "bitrate per viewer / publisher kbit/s\t%.0f / %.0f\t\n", r.BitrateBps/1000, r.PublisherBitrateBps/1000)
	fmt.Fprintf(tw, "publisher PLIs / keyframes sent\t%d / %d\t\n", r.PublisherPLIs, r.PublisherKeyframes)
	if r.ServerEnd.Exists {
		fmt.Fprintf(tw, "server CPU ms per viewer-second\t%.3f (%.2f cores)\t<= 1.0\n", r.ServerCPUPerViewerSecond(),
			float64(r.ServerEnd.CPU-r.Server.CPU)/float64(r.Steady))
		fmt.Fprintf(tw, "server RSS / peak MiB\t%.1f / %.1f\t<= 150\n", mib(r.ServerEnd.RSS), mib(r.ServerEnd.HWM))
	}
	fmt.Fprintf(tw, "generator CPU cores / RSS MiB\t%.2f / %.1f\t\n", r.GeneratorCores(), mib(r.GenEnd.RSS))
	_ = tw.Flush()
	for _, e := range r.FirstErrors {
		fmt.Fprintf(w, "error: %s\n", e)
	}
	kv := []string{
		fmt.Sprintf("viewers=%d", r.Viewers),
		fmt.Sprintf("connected=%d", r.Connected),
		fmt.Sprintf("failed=%d", r.Failed),
		fmt.Sprintf("no_keyframe=%d", r.NoKeyframe),
		"connect_p95_ms=" + ms(r.Connect.quantile(.95)),
		"first_key_p50_ms=" + ms(r.FirstKey.quantile(.5)),
		"first_key_p95_ms=" + ms(r.FirstKey.quantile(.95)),
		"latency_p50_ms=" + ms(r.Latency.Quantile(.5)),
		"latency_p99_ms=" + ms(r.Latency.Quantile(.99)),
		"latency_max_ms=" + ms(r.Latency.Max()),
		fmt.Sprintf("lost=%d", r.Lost),
		fmt.Sprintf("expected=%d", r.Expected),
		fmt.Sprintf("delivery_ratio=%.4f", r.DeliveryRatio()),
		fmt.Sprintf("bitrate_kbps=%.0f", r.BitrateBps/1000),
		fmt.Sprintf("server_cpu_ms_per_viewer_s=%.3f", r.ServerCPUPerViewerSecond()),
		fmt.Sprintf("server_rss_mib=%.1f", mib(r.ServerEnd.RSS)),
		fmt.Sprintf("server_peak_rss_mib=%.1f", mib(r.ServerEnd.HWM)),
		fmt.Sprintf("gen_cpu_cores=%.2f", r.GeneratorCores()),
		fmt.Sprintf("steady_s=%.1f", r.Steady.Seconds()),
	}
	fmt.Fprintln(w, "summary "+strings.Join(kv, " "))
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// DeliveryRatio is packets received by all viewers over packets sent times
// viewers, for the steady phase; 1 means nothing was dropped (slightly
// above 1 with retransmissions, slightly off at the window's edges).
func (r *ViewersResult) DeliveryRatio() float64 {
	if r.PublisherPackets == 0 || r.Connected == 0 {
		return 0
	}
	return float64(r.ViewerPackets) / float64(r.PublisherPackets*int64(r.Connected))
}
