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
	// nodes, for a failover run, are the cluster's node URLs: viewers
	// start on them in turn and move to another when theirs is silent for
	// reconnectAfter (failover.go).
	nodes          []string
	reconnectAfter time.Duration
	// whipPath and whepPath are the endpoints' paths with {room} for the
	// room id; empty means Bidcast's /whip/{room} and /whep/{room}. Other
	// servers (MediaMTX: /{room}/whip) are driven by changing them.
	whipPath, whepPath string
}

// viewerSwarm is a running publisher and the viewers started so far.
type viewerSwarm struct {
	cfg     viewerSwarmConfig
	api     *webrtc.API
	whep    string
	shared  *ViewerShared
	pub     *roomPublisher
	stopPub context.CancelFunc
	pubWG   sync.WaitGroup
	fo      *failover // nil without a node list

	mu        sync.Mutex
	viewers   []*Viewer
	connected atomic.Int64

	// steady-phase baselines: marks and base are per viewer, by index;
	// a viewer joining during the window (a spike) has a zero mark (its
	// loss counts from its first packet) and a base taken at its join.
	steadyAt  time.Time
	marks     []SeqMark
	base      []viewerBase
	pubBytes0 int64
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
	whip := root + endpointPath(cfg.whipPath, "/whip/{room}", cfg.room)
	vs := &viewerSwarm{cfg: cfg, api: api, whep: root + endpointPath(cfg.whepPath, "/whep/{room}", cfg.room),
		shared: &ViewerShared{log: newSendLog(), Latency: &Histogram{}, Window: &Histogram{}, Audio: cfg.audio,
			Arrival: &Histogram{}, Loopback: loopback}}
	vs.pub, err = startRoomPublisher(ctx, &roomPublisher{api: api, whip: append([]string{whip}, nodeWHIPs(cfg, whip)...),
		token: cfg.publishToken, clip: clip, audio: audio, onSend: vs.shared.log.record, pace: cfg.paceKbps * 1000,
		after: publisherSilence(cfg), probeAfter: publisherProbe(cfg), out: cfg.out})
	if err != nil {
		return nil, fmt.Errorf("publisher: %w", err)
	}
	pctx, stop := context.WithCancel(context.Background())
	vs.stopPub = stop
	vs.pubWG.Add(1)
	go func() { defer vs.pubWG.Done(); vs.pub.Run(pctx) }()
	if len(cfg.nodes) > 0 {
		whep, err := nodeEndpoints(cfg.nodes, cfg.room, cfg.allowHosts)
		if err == nil && len(whep) == 0 {
			err = fmt.Errorf("no node URLs")
		}
		if err != nil {
			vs.close()
			return nil, err
		}
		after := cfg.reconnectAfter
		if after <= 0 {
			after = time.Second
		}
		vs.fo = &failover{whep: whep, after: after, moving: map[int]bool{}}
		vs.startFailover()
	}
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
			endpoint, node := vs.endpoint(first + i)
			v := StartViewer(cctx, vs.api, first+i, endpoint, vs.cfg.viewToken, vs.shared)
			v.Node = node
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
			// A spike joining the measured window: measured from now on.
			vs.base = append(vs.base, vs.baseOf(v))
			v.Measure(true)
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

// baseOf takes a viewer's counters and its publisher's now, as the start
// of its measured window.
func (vs *viewerSwarm) baseOf(v *Viewer) viewerBase {
	return viewerBase{at: time.Now(), pkts: v.Packets.Load(), bytes: v.Bytes.Load(), abytes: v.AudioBytes.Load(),
		pubPkts: vs.pub.totals().packets, on: v.Err == nil}
}

// beginSteady records baselines and turns latency measurement on.
func (vs *viewerSwarm) beginSteady() {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	vs.steadyAt = time.Now()
	// Cleared before any viewer measures: Reset is not atomic, and a
	// sample recorded while it runs can keep its bucket but lose its count,
	// which pulls every quantile down.
	vs.shared.Latency.Reset()
	vs.shared.Arrival.Reset()
	n := len(vs.viewers)
	vs.marks, vs.base = make([]SeqMark, n), make([]viewerBase, n)
	for i, v := range vs.viewers {
		vs.marks[i], vs.base[i] = v.Mark(), vs.baseOf(v)
		v.Measure(true)
	}
	vs.pubBytes0 = vs.pub.totals().bytes
}

// endSteady stops measuring and returns the room's raw figures. Each
// viewer is measured over its own window (the steady phase, or from its
// join for a spike viewer) against what its publisher sent in that window,
// so the delivery ratio and the bitrate per viewer use the same
// denominators whatever the rooms and the joins.
func (vs *viewerSwarm) endSteady() *ViewerSamples {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	now := time.Now()
	steady := now.Sub(vs.steadyAt)
	pt := vs.pub.totals()
	pubPkts := pt.packets
	s := &ViewerSamples{Rooms: 1, Audio: vs.cfg.audio, PaceKbps: vs.cfg.paceKbps, SteadySecs: steady.Seconds(),
		PublisherBytes: pt.bytes - vs.pubBytes0, PublisherSeconds: steady.Seconds()}
	ends := make([]SeqMark, len(vs.viewers))
	for i, v := range vs.viewers {
		v.Measure(false)
		ends[i] = v.Mark()
		if i >= len(vs.base) || !vs.base[i].on || v.Err != nil {
			continue
		}
		b := vs.base[i]
		s.Delivered += v.Packets.Load() - b.pkts
		s.Offered += pubPkts - b.pubPkts
		s.VideoBytes += v.Bytes.Load() - b.bytes
		s.AudioBytes += v.AudioBytes.Load() - b.abytes
		s.ViewerSeconds += now.Sub(b.at).Seconds()
	}
	// Let NACKed packets of the window's tail arrive before counting loss.
	time.Sleep(500 * time.Millisecond)
	s.Viewers = len(vs.viewers)
	for i, v := range vs.viewers {
		if v.Err != nil {
			s.Failed++
			continue
		}
		s.Connected++
		s.ConnectNS = append(s.ConnectNS, int64(v.ConnectTime))
		if v.HasFirstKey() {
			s.FirstKeyNS = append(s.FirstKeyNS, int64(v.FirstKey))
		} else {
			s.NoKeyframe++
		}
		var from SeqMark
		if i < len(vs.marks) {
			from = vs.marks[i]
		}
		exp, lost := v.Lost(from, ends[i])
		s.Expected += exp
		s.Lost += lost
		s.Unmatched += v.Unmatched.Load()
		n, d := v.Freezes()
		s.Freezes += n
		s.FreezeSeconds += d.Seconds()
		if n > 0 {
			s.ViewersWithFreeze++
		}
	}
	s.Latency = vs.shared.Latency.Data()
	s.Arrival = vs.shared.Arrival.Data()
	pt = vs.pub.totals()
	s.PLIs, s.Keyframes = pt.plis, pt.keys
	s.PublisherMovesNS = vs.pub.movesNS()
	s.ReconnectNS, s.ReconnectFailed = vs.reconnectSamples()
	return s
}

// close ends every viewer and the publisher.
func (vs *viewerSwarm) close() {
	vs.stopFailover()
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

// endpointPath puts the escaped room id into a path template such as
// "/{room}/whep" (def when the template is empty).
func endpointPath(tmpl, def, room string) string {
	if tmpl == "" {
		tmpl = def
	}
	return strings.ReplaceAll(tmpl, "{room}", url.PathEscape(room))
}
