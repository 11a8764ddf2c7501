package sfu

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// fakeEstimator lets a test set a viewer's bandwidth estimate directly.
type fakeEstimator struct{ bps atomic.Uint64 }

func (f *fakeEstimator) OnREMB(uint64)                    {}
func (f *fakeEstimator) OnReceiverReport(float64, uint64) {}
func (f *fakeEstimator) Estimate() uint64                 { return f.bps.Load() }

func TestSimulcastSwitchFollowsEstimateOnKeyframe(t *testing.T) {
	est := &fakeEstimator{}
	_, hs, _ := newTestServer(t, func(c *Config) {
		c.NewEstimator = func() BandwidthEstimator { return est }
	})
	pub, _ := publishWHIP(t, hs.URL, "room1", webrtc.MimeTypeH264, "q", "f")
	defer pub.close()
	pub.start(1000) // keyframes only on request, so switches must ask
	v, _ := viewWHEP(t, hs.URL, "room1", nil)
	defer v.close()

	// lastLayer returns the layer id of the newest packet.
	lastLayer := func() byte {
		v.mu.Lock()
		defer v.mu.Unlock()
		if len(v.layers) == 0 {
			return 0
		}
		return v.layers[len(v.layers)-1]
	}
	// Unknown estimate: the best layer ("f", id 2).
	waitFor(t, 5*time.Second, "high layer", func() bool { return lastLayer() == 2 })
	// The estimate drops below the high layer's bitrate: switch down.
	est.bps.Store(50_000)
	waitFor(t, 5*time.Second, "low layer", func() bool { return lastLayer() == 1 })
	// And back up.
	est.bps.Store(50_000_000)
	waitFor(t, 5*time.Second, "high layer again", func() bool { return lastLayer() == 2 })

	v.mu.Lock()
	defer v.mu.Unlock()
	keys := map[int]bool{}
	for _, k := range v.keyAt {
		keys[k] = true
	}
	// The viewer may start on the low layer if it joined before the high
	// layer's first packet; count switches after it first reached "f".
	switches, first := 0, 0
	for first < len(v.layers) && v.layers[first] != 2 {
		first++
	}
	for i := 1; i < len(v.layers); i++ {
		if v.seqs[i] != v.seqs[i-1]+1 {
			t.Errorf("sequence gap at %d: %d -> %d", i, v.seqs[i-1], v.seqs[i])
		}
		if v.layers[i] != v.layers[i-1] {
			if i > first {
				switches++
			}
			if !keys[i] {
				t.Errorf("switch to layer %d at packet %d is not on a keyframe", v.layers[i], i)
			}
		}
	}
	if switches != 2 {
		t.Errorf("saw %d layer switches, want 2", switches)
	}
}
