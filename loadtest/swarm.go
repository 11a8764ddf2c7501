package loadtest

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/bidcast/bidcast/internal/testpattern"
)

// viewerSwarmConfig is one room's synthetic publisher and its viewers.
type viewerSwarmConfig struct {
	room, publishToken, viewToken string
	viewers                       int
	ramp                          float64
	paceKbps                      int
	clipPath                      string
	audio                         bool
	allowHosts                    []string
	out                           io.Writer
}

// viewerSwarm is a running publisher and the viewers started so far.
type viewerSwarm struct {
	cfg     viewerSwarmConfig
	api     *webrtc.API
	whep    string
	shared  *ViewerShared
	pub     *testpattern.Publisher
	stopPub context.CancelFunc
	pubWG   sync.WaitGroup

	mu        sync.Mutex
	viewers   []*Viewer
	connected atomic.Int64

	// steady-phase baselines
	steadyAt  time.Time
	marks     []SeqMark
	bytes0    []int64
	abytes0   []int64
	pkts0     []int64
	pubBytes0 int64
	pubPkts0  int64
}

// startViewerSwarm connects the publisher; viewers come with ramp or add.
func startViewerSwarm(ctx context.Context, base *url.URL, cfg viewerSwarmConfig) (*viewerSwarm, error) {
	if err := testpattern.EnsureClip(ctx, cfg.clipPath, testpattern.DefaultClipSpec); err != nil {
		return nil, err
	}
	clip, err := testpattern.LoadClip(cfg.clipPath, testpattern.DefaultClipSpec.FPS)
	if err != nil {
		return nil, err
	}
	var audio *testpattern.AudioClip
	if cfg.audio {
		apath := strings.TrimSuffix(cfg.clipPath, ".h264") + "-opus.ogg"
		if err := testpattern.EnsureAudioClip(ctx, apath); err != nil {
			return nil, err
		}
		if audio, err = testpattern.LoadAudioClip(apath); err != nil {
			return nil, err
		}
	}
	loopback := len(cfg.allowHosts) == 0 || isLoopbackHost(base.Hostname())
	api, err := testpattern.NewPeerAPI(loopback)
	if err != nil {
		return nil, err
	}
	root := strings.TrimRight(base.String(), "/")
	whip := root + "/whip/" + url.PathEscape(cfg.room)
	vs := &viewerSwarm{cfg: cfg, api: api, whep: root + "/whep/" + url.PathEscape(cfg.room),
		shared: &ViewerShared{log: newSendLog(), Latency: &Histogram{}, Window: &Histogram{}, Audio: cfg.audio}}
	vs.pub, err = testpattern.StartPublisher(ctx, api, whip, cfg.publishToken, clip, audio, vs.shared.log.record)
	if err != nil {
		return nil, fmt.Errorf("publisher: %w", err)
	}
	vs.pub.PaceBps = cfg.paceKbps * 1000
	pctx, stop := context.WithCancel(context.Background())
	vs.stopPub = stop
	vs.pubWG.Add(1)
	go func() { defer vs.pubWG.Done(); vs.pub.Run(pctx) }()
	return vs, nil
}

// add starts n more viewers at rate per second and waits until each has
// connected or failed (and had a moment for its first keyframe).
func (vs *viewerSwarm) add(ctx context.Context, n int, rate float64, rep *Report) {
	if n <= 0 {
		return
	}
	fmt.Fprintf(vs.cfg.out, "room %s: starting %d viewers at %.0f/s\n", vs.cfg.room, n, rate)
	started := make([]*Viewer, n)
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	vs.mu.Lock()
	first := len(vs.viewers)
	vs.mu.Unlock()
	for i := 0; i < n && ctx.Err() == nil; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			v := StartViewer(cctx, vs.api, first+i, vs.whep, vs.cfg.viewToken, vs.shared)
			if v.Err == nil {
				vs.connected.Add(1)
				v.WaitFirstKey(cctx)
			}
			started[i] = v
		}()
		if i < n-1 {
			select {
			case <-tick.C:
			case <-ctx.Done():
			}
		}
	}
	wg.Wait()
	vs.mu.Lock()
	defer vs.mu.Unlock()
	for _, v := range started {
		if v == nil {
			continue
		}
		if v.Err != nil && rep != nil {
			rep.noteError(fmt.Sprintf("viewer %d: %v", v.ID, v.Err))
		}
		if !vs.steadyAt.IsZero() {
			v.Measure(true) // a spike joining the measured window
		}
		vs.viewers = append(vs.viewers, v)
	}
}

// ramp starts the configured viewers.
func (vs *viewerSwarm) ramp(ctx context.Context, rep *Report) {
	vs.add(ctx, vs.cfg.viewers, vs.cfg.ramp, rep)
}

// fill adds the swarm's figures to a time-series point and resets the
// interval histogram.
func (vs *viewerSwarm) fill(p *Point, _ time.Duration) {
	p.Viewers += int(vs.connected.Load())
	w := vs.shared.Window
	if w.Count() > 0 {
		p.FwdP50, p.FwdP95, p.FwdP99 = msf(w.Quantile(.5)), msf(w.Quantile(.95)), msf(w.Quantile(.99))
	}
	w.Reset()
}

// beginSteady records baselines and turns latency measurement on.
func (vs *viewerSwarm) beginSteady() {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	vs.steadyAt = time.Now()
	n := len(vs.viewers)
	vs.marks, vs.bytes0, vs.abytes0, vs.pkts0 = make([]SeqMark, n), make([]int64, n), make([]int64, n), make([]int64, n)
	for i, v := range vs.viewers {
		vs.marks[i], vs.bytes0[i], vs.abytes0[i], vs.pkts0[i] = v.Mark(), v.Bytes.Load(), v.AudioBytes.Load(), v.Packets.Load()
		v.Measure(true)
	}
	vs.shared.Latency.Reset()
	vs.pubBytes0, vs.pubPkts0 = vs.pub.Bytes.Load(), vs.pub.Packets.Load()
}

// endSteady stops measuring and fills the summary.
func (vs *viewerSwarm) endSteady(sv *ViewersSummary) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	steady := time.Since(vs.steadyAt)
	sv.SteadySecs = steady.Seconds()
	sv.PublisherKbps = float64(vs.pub.Bytes.Load()-vs.pubBytes0) * 8 / steady.Seconds() / 1000
	pubPkts := vs.pub.Packets.Load() - vs.pubPkts0
	// Viewers that joined during the window (a spike) count from their
	// first packet for loss, and not at all for bitrate and delivery.
	ends := make([]SeqMark, len(vs.viewers))
	var bits, abits float64
	var delivered int64
	for i, v := range vs.viewers {
		v.Measure(false)
		ends[i] = v.Mark()
		if v.Err == nil && i < len(vs.marks) {
			delivered += v.Packets.Load() - vs.pkts0[i]
			bits += float64(v.Bytes.Load()-vs.bytes0[i]) * 8 / steady.Seconds()
			abits += float64(v.AudioBytes.Load()-vs.abytes0[i]) * 8 / steady.Seconds()
		}
	}
	// Let NACKed packets of the window's tail arrive before counting loss.
	time.Sleep(500 * time.Millisecond)
	var connect, firstKey durations
	sv.Viewers = len(vs.viewers)
	for i, v := range vs.viewers {
		if v.Err != nil {
			sv.Failed++
			continue
		}
		sv.Connected++
		connect = append(connect, v.ConnectTime)
		if v.HasFirstKey() {
			firstKey = append(firstKey, v.FirstKey)
		} else {
			sv.NoKeyframe++
		}
		var from SeqMark
		if i < len(vs.marks) {
			from = vs.marks[i]
		}
		exp, lost := v.Lost(from, ends[i])
		sv.Expected += exp
		sv.Lost += lost
		sv.Unmatched += v.Unmatched.Load()
		n, d := v.Freezes()
		sv.Freezes += n
		sv.FreezeSeconds += d.Seconds()
		if n > 0 {
			sv.ViewersWithFreeze++
		}
	}
	sv.Connect, sv.FirstKey = quantilesOfDurations(connect), quantilesOfDurations(firstKey)
	sv.Latency = quantilesOf(vs.shared.Latency)
	if n := vs.steadyConnected(); n > 0 {
		sv.BitrateKbps = bits / float64(n) / 1000
		sv.AudioKbps = abits / float64(n) / 1000
		if pubPkts > 0 {
			sv.DeliveryRatio = float64(delivered) / float64(pubPkts*int64(n))
		}
	}
	sv.PublisherPLIs, sv.PublisherKeyframe = vs.pub.PLIs.Load(), vs.pub.Keyframes.Load()
}

// steadyConnected counts the viewers connected when the window began;
// the caller holds vs.mu.
func (vs *viewerSwarm) steadyConnected() int {
	n := 0
	for i := range vs.marks {
		if vs.viewers[i].Err == nil {
			n++
		}
	}
	return n
}

// close ends every viewer and the publisher.
func (vs *viewerSwarm) close() {
	vs.mu.Lock()
	viewers := vs.viewers
	vs.mu.Unlock()
	var wg sync.WaitGroup
	for _, v := range viewers {
		wg.Add(1)
		go func() { defer wg.Done(); v.Close() }()
	}
	wg.Wait()
	vs.stopPub()
	vs.pubWG.Wait()
	vs.pub.Close()
}
