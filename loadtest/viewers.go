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
	"sync"
	"time"
)

// ViewersConfig configures RunViewers.
type ViewersConfig struct {
	BaseURL      string        // e.g. http://127.0.0.1:8080
	Room         string        // room id
	PublishToken string        // WHIP bearer token
	ViewToken    string        // WHEP bearer token, "" for public rooms
	Viewers      int           // number of WHEP viewers
	RampRate     float64       // viewers started per second
	Duration     time.Duration // steady-state measurement after the ramp
	ServerPID    int           // process to sample CPU and RSS of; 0: none
	PaceKbps     int           // publisher pacing rate; 0 sends frames in bursts
	ClipPath     string        // Annex B H.264; generated with ffmpeg if missing
	AllowRemote  []string      // non-loopback hosts that may be targeted
	Out          io.Writer     // report destination
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
	if c.ClipPath == "" {
		c.ClipPath = filepath.Join(os.TempDir(), "bidcast-loadtest-720p30-1500k.h264")
	}
	if c.Out == nil {
		c.Out = os.Stdout
	}
	return CheckTarget(c.BaseURL, c.AllowRemote)
}

// ViewersResult holds what RunViewers measured.
type ViewersResult struct {
	Viewers, Connected, Failed, NoKeyframe int
	FirstErrors                            []string
	Connect, FirstKey                      durations
	Latency                                *Histogram
	Unmatched                              int64
	Expected, Lost                         uint64
	BitrateBps                             float64 // mean per viewer, steady phase
	Steady                                 time.Duration
	Server, ServerEnd                      ProcSample
	Gen, GenEnd                            ProcSample
	PublisherPLIs, PublisherKeyframes      int64
	PublisherBitrateBps                    float64
	// PublisherPackets were sent and ViewerPackets received (all viewers,
	// retransmissions included) during the steady phase; the SFU renumbers
	// packets it drops for congestion, so this ratio catches drops that
	// sequence gaps cannot.
	PublisherPackets, ViewerPackets int64
}

// RunViewers runs the viewers scenario and writes its report to cfg.Out.
func RunViewers(ctx context.Context, cfg ViewersConfig) (*ViewersResult, error) {
	base, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	if err := EnsureClip(ctx, cfg.ClipPath, DefaultClipSpec); err != nil {
		return nil, err
	}
	clip, err := LoadClip(cfg.ClipPath, DefaultClipSpec.FPS)
	if err != nil {
		return nil, err
	}
	loopback := len(cfg.AllowRemote) == 0 || isLoopbackHost(base.Hostname())
	api, err := newAPI(loopback)
	if err != nil {
		return nil, err
	}
	whip := strings.TrimRight(cfg.BaseURL, "/") + "/whip/" + url.PathEscape(cfg.Room)
	whep := strings.TrimRight(cfg.BaseURL, "/") + "/whep/" + url.PathEscape(cfg.Room)

	log := newSendLog()
	pub, err := StartPublisher(ctx, api, whip, cfg.PublishToken, clip, log)
	if err != nil {
		return nil, fmt.Errorf("publisher: %w", err)
	}
	defer pub.Close()
	pub.PaceBps = cfg.PaceKbps * 1000
	pubCtx, stopPub := context.WithCancel(ctx)
	var pubWG sync.WaitGroup
	pubWG.Add(1)
	go func() { defer pubWG.Done(); pub.Run(pubCtx) }()
	defer func() { stopPub(); pubWG.Wait() }()

	res := &ViewersResult{Viewers: cfg.Viewers, Latency: &Histogram{}}
	fmt.Fprintf(cfg.Out, "ramping %d viewers at %.0f/s against %s room %s (publisher pacing %d kbit/s, 0 = bursts)\n",
		cfg.Viewers, cfg.RampRate, cfg.BaseURL, cfg.Room, cfg.PaceKbps)

	// Ramp: one goroutine per viewer start, paced by a ticker.
	viewers := make([]*Viewer, cfg.Viewers)
	var startWG sync.WaitGroup
	tick := time.NewTicker(time.Duration(float64(time.Second) / cfg.RampRate))
	for i := 0; i < cfg.Viewers; i++ {
		startWG.Add(1)
		go func() {
			defer startWG.Done()
			cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			viewers[i] = StartViewer(cctx, api, i, whep, cfg.ViewToken, log, res.Latency)
		}()
		if i < cfg.Viewers-1 {
			select {
			case <-tick.C:
			case <-ctx.Done():
			}
		}
	}
	tick.Stop()
	startWG.Wait()
	defer func() {
		var wg sync.WaitGroup
		for _, v := range viewers {
			if v != nil {
				wg.Add(1)
				go func() { defer wg.Done(); v.Close() }()
			}
		}
		wg.Wait()
	}()
	// Give late viewers a moment for their first keyframe.
	keyCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	for _, v := range viewers {
		if v.Err == nil {
			v.WaitFirstKey(keyCtx)
		}
	}
	cancel()

	// Steady phase.
	marks := make([]SeqMark, len(viewers))
	bytes0 := make([]int64, len(viewers))
	for i, v := range viewers {
		marks[i], bytes0[i] = v.Mark(), v.Bytes.Load()
		v.Measure(true)
	}
	pubBytes0, pubPkts0 := pub.Bytes.Load(), pub.Packets.Load()
	pkts0 := make([]int64, len(viewers))
	for i, v := range viewers {
		pkts0[i] = v.Packets.Load()
	}
	res.Gen, _ = ReadProc(0)
	if cfg.ServerPID != 0 {
		if res.Server, err = ReadProc(cfg.ServerPID); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(cfg.Out, "steady phase: %s\n", cfg.Duration)
	select {
	case <-time.After(cfg.Duration):
	case <-ctx.Done():
	}
	res.GenEnd, _ = ReadProc(0)
	if cfg.ServerPID != 0 {
		res.ServerEnd, _ = ReadProc(cfg.ServerPID)
	}
	res.Steady = res.GenEnd.At.Sub(res.Gen.At)
	res.PublisherBitrateBps = float64(pub.Bytes.Load()-pubBytes0) * 8 / res.Steady.Seconds()
	res.PublisherPackets = pub.Packets.Load() - pubPkts0
	ends := make([]SeqMark, len(viewers))
	var bitSum float64
	for i, v := range viewers {
		v.Measure(false)
		ends[i] = v.Mark()
		if v.Err == nil {
			res.ViewerPackets += v.Packets.Load() - pkts0[i]
		}
		bitSum += float64(v.Bytes.Load()-bytes0[i]) * 8 / res.Steady.Seconds()
	}
	// Let NACKed packets of the window's tail arrive before counting loss.
	time.Sleep(500 * time.Millisecond)

	for i, v := range viewers {
		if v.Err != nil {
			res.Failed++
			if len(res.FirstErrors) < 3 {
				res.FirstErrors = append(res.FirstErrors, v.Err.Error())
			}
			continue
		}
		res.Connected++
		res.Connect = append(res.Connect, v.ConnectTime)
		if !v.HasFirstKey() {
			res.NoKeyframe++
		} else {
			res.FirstKey = append(res.FirstKey, v.FirstKey)
		}
		exp, lost := v.Lost(marks[i], ends[i])
		res.Expected += exp
		res.Lost += lost
		res.Unmatched += v.Unmatched.Load()
	}
	if res.Connected > 0 {
		res.BitrateBps = bitSum / float64(res.Connected)
	}
	res.PublisherPLIs, res.PublisherKeyframes = pub.PLIs.Load(), pub.Keyframes.Load()
	res.Write(cfg.Out)
	return res, nil
}

func isLoopbackHost(h string) bool {
	_, err := CheckTarget("http://"+h, nil)
	return err == nil
}
