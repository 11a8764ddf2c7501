package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ViewersConfig configures RunViewers.
type ViewersConfig struct {
	BaseURL      string        // e.g. http://127.0.0.1:8080
	Room         string        // room id
	PublishToken string        // WHIP bearer token
	ViewToken    string        // WHEP bearer token, "" for public rooms
	Viewers      int           // number of WHEP viewers (1..5000)
	RampRate     float64       // viewers started per second
	Duration     time.Duration // steady-state measurement after the ramp (≤ 30 min)
	ServerPID    int           // process to sample CPU and RSS of; 0: try MetricsURL
	MetricsURL   string        // the server's Prometheus endpoint (see MetricsURL)
	PaceKbps     int           // publisher pacing rate; 0 sends frames in bursts
	ClipPath     string        // Annex B H.264; generated with ffmpeg if missing
	NoAudio      bool          // publish and receive video only
	AllowHosts   []string      // non-loopback hosts that may be targeted
	Out          io.Writer     // progress and table destination
	// StartAt is the instant the ramp starts (zero: at once), the same for
	// every shard of a distributed run.
	StartAt time.Time
	// Nodes, for a cluster, are its nodes' URLs: viewers start on them in
	// turn (the publisher on BaseURL) and a viewer whose node goes silent
	// for ReconnectAfter (zero: 1 s) moves to another; the report gives
	// the moves' outages (reconnect p50/p95).
	Nodes          []string
	ReconnectAfter time.Duration
	// WHIPPath and WHEPPath are endpoint paths with {room} for the room id
	// ("" for Bidcast's /whip/{room} and /whep/{room}); other servers'
	// layouts, e.g. MediaMTX's /{room}/whip and /{room}/whep, work too.
	WHIPPath, WHEPPath string
}

func (c *ViewersConfig) validate() (*url.URL, error) {
	if c.Viewers < 1 || c.Viewers > 5000 {
		return nil, fmt.Errorf("viewers must be 1..5000, got %d", c.Viewers)
	}
	if c.RampRate <= 0 {
		return nil, errors.New("ramp rate must be positive")
	}
	if c.Duration <= 0 || c.Duration > 30*time.Minute {
		return nil, errors.New("duration must be in (0, 30m]")
	}
	if c.Room == "" {
		return nil, errors.New("room is required")
	}
	for _, p := range []string{c.WHIPPath, c.WHEPPath} {
		if p != "" && (!strings.HasPrefix(p, "/") || !strings.Contains(p, "{room}")) {
			return nil, fmt.Errorf("endpoint path %q must start with / and contain {room}", p)
		}
	}
	if c.ClipPath == "" {
		c.ClipPath = filepath.Join(os.TempDir(), "bidcast-loadtest-720p30-1500k.h264")
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	return CheckTarget(c.BaseURL, c.AllowHosts)
}

// ViewersSummary is the viewers section of the report.
type ViewersSummary struct {
	Viewers    int       `json:"viewers"`
	Connected  int       `json:"connected"`
	Failed     int       `json:"failed"`
	NoKeyframe int       `json:"no_keyframe"`
	Audio      bool      `json:"audio"`
	PaceKbps   int       `json:"pace_kbps"`
	SteadySecs float64   `json:"steady_s"`
	Connect    Quantiles `json:"connect"`   // WHEP POST → ICE+DTLS connected
	FirstKey   Quantiles `json:"first_key"` // WHEP POST → first keyframe packet
	// Latency is per video packet, publisher send → viewer receive, on this
	// process's monotonic clock, steady phase only.
	Latency Quantiles `json:"latency"`
	// Arrival is per video packet, publisher send → the datagram's arrival
	// in the viewer's socket (the kernel's receive stamp), so it leaves out
	// the generator's own WebRTC work; N is 0 where the kernel cannot stamp.
	Arrival   Quantiles `json:"arrival"`
	Unmatched int64     `json:"unmatched_packets"`
	// Expected and Lost come from sequence gaps after NACK recovery.
	Expected uint64 `json:"expected_packets"`
	Lost     uint64 `json:"lost_packets"`
	// DeliveryRatio is video packets received over those the viewer's own
	// publisher sent while it was measured (retransmissions make it
	// slightly above 1); Undelivered is the shortfall, packets the SFU
	// skipped and renumbered, which Lost cannot see.
	DeliveryRatio float64 `json:"delivery_ratio"`
	Undelivered   int64   `json:"undelivered_packets"`
	BitrateKbps   float64 `json:"bitrate_kbps"` // mean per viewer, video
	AudioKbps     float64 `json:"audio_kbps,omitempty"`
	PublisherKbps float64 `json:"publisher_kbps"`
	// Freezes follow WebRTC's definition (frame gap > max(3×avg, avg+150 ms)).
	Freezes           int     `json:"freezes"`
	FreezeSeconds     float64 `json:"freeze_s"`
	ViewersWithFreeze int     `json:"viewers_with_freeze"`
	PublisherPLIs     int64   `json:"publisher_plis"`
	PublisherKeyframe int64   `json:"publisher_keyframes"`
	// Reconnect is a failover run's moves (Nodes): a viewer's last packet
	// on its silent node to its first keyframe on another; N counts them.
	Reconnect       Quantiles `json:"reconnect"`
	ReconnectFailed int       `json:"reconnect_failed"`
	// PublisherMoves are the publishers' moves to another node when
	// theirs went silent: its last RTCP to the new session's connection;
	// N counts them.
	PublisherMoves Quantiles `json:"publisher_moves"`
	// ServerCPUPerViewerSecond is milliseconds of server CPU per viewer per
	// second of the steady phase.
	ServerCPUPerViewerSecond float64 `json:"server_cpu_ms_per_viewer_s,omitempty"`
}

// RunViewers publishes a synthetic stream over WHIP, ramps up WHEP viewers
// and measures them; the report's progress goes to cfg.Out.
func RunViewers(ctx context.Context, cfg ViewersConfig) (*Report, error) {
	base, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	rep := newReport("viewers", cfg.BaseURL)
	vs, err := startViewerSwarm(ctx, base, viewerSwarmConfig{room: cfg.Room, publishToken: cfg.PublishToken,
		viewToken: cfg.ViewToken, viewers: cfg.Viewers, ramp: cfg.RampRate, paceKbps: cfg.PaceKbps,
		clipPath: cfg.ClipPath, audio: !cfg.NoAudio, allowHosts: cfg.AllowHosts, out: cfg.Out,
		nodes: cfg.Nodes, reconnectAfter: cfg.ReconnectAfter, whipPath: cfg.WHIPPath, whepPath: cfg.WHEPPath})
	if err != nil {
		return nil, err
	}
	defer vs.close()
	if err := waitStart(ctx, cfg.StartAt); err != nil {
		return nil, err
	}
	if !cfg.StartAt.IsZero() {
		rep.Started = time.Now() // shards' series line up from the common start
	}

	probe := NewServerProbe(ctx, cfg.ServerPID, MetricsURL(cfg.MetricsURL, cfg.BaseURL))
	smp := newSampler(probe, vs.fill)
	stopSampler := smp.background(ctx, rep.Started)

	vs.ramp(ctx, rep)
	vs.beginSteady()
	smp.markStart(ctx)
	fmt.Fprintf(cfg.Out, "steady phase: %s\n", cfg.Duration)
	select {
	case <-time.After(cfg.Duration):
	case <-ctx.Done():
	}
	smp.markEnd(ctx)
	raw := vs.endSteady()
	stopSampler()
	sv, err := raw.summary()
	if err != nil {
		return nil, err
	}
	rep.Viewers = sv
	rep.samples().Viewers = raw
	smp.report(rep)
	rep.Seconds = time.Since(rep.Started).Seconds()
	if rep.Server != nil && sv.Connected > 0 && sv.SteadySecs > 0 {
		sv.ServerCPUPerViewerSecond = rep.Server.CPUCores * 1000 / float64(sv.Connected)
	}
	sv.addKV(rep)
	return rep, ctx.Err()
}

// addKV adds the viewers figures to the summary line.
func (sv *ViewersSummary) addKV(r *Report) {
	r.add("viewers", sv.Viewers)
	r.add("connected", sv.Connected)
	r.add("failed", sv.Failed)
	r.add("no_keyframe", sv.NoKeyframe)
	r.add("connect_p95_ms", sv.Connect.P95)
	r.add("first_key_p50_ms", sv.FirstKey.P50)
	r.add("first_key_p95_ms", sv.FirstKey.P95)
	r.addQ("latency", sv.Latency)
	r.add("latency_max_ms", sv.Latency.Max)
	if sv.Arrival.N > 0 {
		r.addQ("arrival", sv.Arrival)
	}
	r.add("lost", sv.Lost)
	r.add("expected", sv.Expected)
	r.add("delivery_ratio", fmt.Sprintf("%.4f", sv.DeliveryRatio))
	r.add("undelivered", sv.Undelivered)
	r.add("bitrate_kbps", fmt.Sprintf("%.0f", sv.BitrateKbps))
	r.add("freezes", sv.Freezes)
	if sv.Reconnect.N > 0 || sv.ReconnectFailed > 0 {
		r.add("reconnects", sv.Reconnect.N)
		r.add("reconnect_p50_ms", sv.Reconnect.P50)
		r.add("reconnect_p95_ms", sv.Reconnect.P95)
		r.add("reconnect_failed", sv.ReconnectFailed)
	}
	if sv.PublisherMoves.N > 0 {
		r.add("publisher_moves", sv.PublisherMoves.N)
		r.add("publisher_move_max_ms", sv.PublisherMoves.Max)
	}
	if sv.ServerCPUPerViewerSecond > 0 {
		r.add("server_cpu_ms_per_viewer_s", fmt.Sprintf("%.3f", sv.ServerCPUPerViewerSecond))
	}
	r.add("steady_s", sv.SteadySecs)
}

func isLoopbackHost(h string) bool {
	_, err := CheckTarget("http://"+h, nil)
	return err == nil
}
