package loadtest

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

//go:embed collector.js
var collectorJS string

//go:embed player.html
var playerHTML []byte

// BrowsersConfig configures RunBrowsers.
type BrowsersConfig struct {
	BaseURL string
	Room    RoomInfo // room_id, and publish_token to publish the synthetic stream
	Tabs    int      // headless Chromium tabs (1..64)
	Ramp    float64  // tabs opened per second
	// Duration is the measured time after the ramp (≤ 30 min).
	Duration time.Duration
	// Page is "auto" (the room page when the server has one, else the
	// built-in player), "room" ({url}/rooms/{id}), "builtin", or a URL.
	Page string
	// BidEvery makes each tab place a bid this often (0: never).
	BidEvery time.Duration
	// Chromium is the browser binary (default /usr/bin/chromium).
	Chromium string
	// NoPublish skips the synthetic WHIP publisher (someone else streams).
	NoPublish bool
	ServerPID int
	// MetricsURL is the server's Prometheus endpoint, read when ServerPID
	// is 0 (see MetricsURL).
	MetricsURL string
	AllowHosts []string
	Out        io.Writer
	// StartAt is the instant the tabs start opening (zero: at once), the
	// same for every shard of a distributed run.
	StartAt time.Time
}

func (c *BrowsersConfig) validate() (*url.URL, error) {
	switch {
	case c.Tabs < 1 || c.Tabs > 64:
		return nil, fmt.Errorf("tabs must be 1..64, got %d", c.Tabs)
	case c.Ramp <= 0:
		return nil, errors.New("ramp must be positive")
	case c.Duration <= 0 || c.Duration > 30*time.Minute:
		return nil, errors.New("duration must be in (0, 30m]")
	case c.Room.RoomID == "":
		return nil, errors.New("room is required")
	case c.BidEvery != 0 && c.BidEvery < 500*time.Millisecond:
		return nil, errors.New("bid-every must be 0 or at least 500ms")
	}
	if c.Chromium == "" {
		c.Chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(c.Chromium); err != nil {
		return nil, fmt.Errorf("chromium not found at %s (apt-get install -y chromium): %w", c.Chromium, err)
	}
	if c.Page == "" {
		c.Page = "auto"
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	return CheckTarget(c.BaseURL, c.AllowHosts)
}

// BrowsersSummary is the browsers section of the report. Delays come from
// getStats() deltas over each 2 s interval of each tab: jitter buffer
// delay is ΔjitterBufferDelay/ΔjitterBufferEmittedCount, processing delay
// is ΔtotalProcessingDelay/ΔframesDecoded (it already includes the jitter
// buffer, so the two are never added), decode time ΔtotalDecodeTime/ΔframesDecoded.
type BrowsersSummary struct {
	Tabs            int       `json:"tabs"`
	Playing         int       `json:"playing"` // tabs that decoded frames in the measured window
	Failed          int       `json:"failed"`
	Page            string    `json:"page"`
	FirstFrame      Quantiles `json:"first_frame"` // navigation start → first video frame
	JitterBuffer    Quantiles `json:"jitter_buffer"`
	Processing      Quantiles `json:"processing"`
	Decode          Quantiles `json:"decode"`
	RTT             Quantiles `json:"rtt"`
	Freezes         int64     `json:"freezes"`
	FreezeSeconds   float64   `json:"freeze_s"`
	PacketsLost     int64     `json:"packets_lost"`
	PacketsReceived int64     `json:"packets_received"`
	FPS             float64   `json:"fps_mean"`
	BidRTT          Quantiles `json:"bid_rtt"`      // page: bid.place sent → ack, in the browser
	BidDecision     Quantiles `json:"bid_decision"` // page: bid.place sent → bid.accepted/rejected
	BidsSent        int       `json:"bids_sent"`
	Samples         int       `json:"samples"`
}

// resolvePage picks the page the tabs open.
func (c *BrowsersConfig) resolvePage(ctx context.Context, base *url.URL) (string, bool, error) {
	room := base.JoinPath("rooms", c.Room.RoomID).String()
	// The built-in player is written into a plain page of the server's
	// own origin (/healthz), so its cookies, /ws and WHEP are same-origin.
	builtin := base.JoinPath("healthz").String() + "?room=" + url.QueryEscape(c.Room.RoomID)
	switch c.Page {
	case "room":
		return room, false, nil
	case "builtin":
		return builtin, true, nil
	case "auto":
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, room, nil)
		if err != nil {
			return "", false, fmt.Errorf("room page: %w", err)
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			return "", false, fmt.Errorf("room page: %w", err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			return room, false, nil
		}
		return builtin, true, nil
	}
	u, err := CheckTarget(c.Page, c.AllowHosts)
	if err != nil {
		return "", false, err
	}
	return u.String(), false, nil
}

// RunBrowsers opens headless Chromium tabs on the room page and reads
// their WebRTC statistics every 2 s.
func RunBrowsers(ctx context.Context, cfg BrowsersConfig) (*Report, error) {
	base, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	page, builtin, err := cfg.resolvePage(ctx, base)
	if err != nil {
		return nil, err
	}
	rep := newReport("browsers", cfg.BaseURL)
	sum := &BrowsersSummary{Tabs: cfg.Tabs, Page: page}
	rep.Browsers = sum
	fmt.Fprintf(cfg.Out, "opening %d tabs at %.1f/s on %s\n", cfg.Tabs, cfg.Ramp, page)

	if !cfg.NoPublish {
		vs, err := startViewerSwarm(ctx, base, viewerSwarmConfig{room: cfg.Room.RoomID, publishToken: cfg.Room.PublishToken,
			clipPath: filepath.Join(os.TempDir(), "bidcast-loadtest-720p30-1500k.h264"), audio: true,
			allowHosts: cfg.AllowHosts, out: cfg.Out})
		if err != nil {
			return nil, err
		}
		defer vs.close()
	}
	if cfg.BidEvery > 0 && cfg.Room.SellerLoginURL != "" {
		// Page bids need a live lot: act as the seller, as bids does.
		rr := newRoomRun(cfg.Room)
		if err := rr.connectSeller(ctx, base); err != nil {
			return nil, err
		}
		defer func() {
			ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := rr.endLive(ectx); err != nil {
				rep.noteError(err.Error())
			}
			rr.conn.close()
		}()
	}
	sw, err := startTabSwarm(ctx, cfg.Chromium, page, builtin)
	if err != nil {
		return nil, err
	}
	defer sw.close()
	if err := waitStart(ctx, cfg.StartAt); err != nil {
		return nil, err
	}
	if !cfg.StartAt.IsZero() {
		rep.Started = time.Now() // shards' series line up from the common start
	}

	probe := NewServerProbe(ctx, cfg.ServerPID, MetricsURL(cfg.MetricsURL, cfg.BaseURL))
	smp := newSampler(probe, sw.fill)
	smp.self = treeProbe{}
	stop := smp.background(ctx, rep.Started)

	sw.open(ctx, cfg.Tabs, cfg.Ramp, rep)
	sw.measure(true)
	smp.markStart(ctx)
	sw.poll(ctx, cfg.Duration, cfg.BidEvery)
	smp.markEnd(ctx)
	stop()
	sw.summarise(sum)
	rep.samples().Browsers = sw.browserSamples(sum)
	smp.report(rep)
	rep.Seconds = time.Since(rep.Started).Seconds()
	for _, e := range sw.errors() {
		rep.noteError(e)
	}
	sum.addKV(rep)
	return rep, ctx.Err()
}

// addKV adds the browser figures to the summary line.
func (b *BrowsersSummary) addKV(r *Report) {
	r.add("tabs", b.Tabs)
	r.add("playing", b.Playing)
	r.add("failed", b.Failed)
	r.add("first_frame_p95_ms", b.FirstFrame.P95)
	r.addQ("jitter_buffer", b.JitterBuffer)
	r.addQ("processing", b.Processing)
	r.add("decode_p95_ms", b.Decode.P95)
	r.add("rtt_p95_ms", b.RTT.P95)
	r.add("freezes", b.Freezes)
	r.add("packets_lost", b.PacketsLost)
	r.add("fps", b.FPS)
	r.addQ("bid_rtt", b.BidRTT)
}
