package sfu

import (
	"sort"
	"sync"
	"time"
)

// BandwidthEstimator turns one viewer's RTCP feedback into the bitrate the
// SFU may send to it, which decides the simulcast layer. Implementations
// must be safe for concurrent use. Config.NewEstimator lets tests (or a
// TWCC/GCC based estimator) replace the default.
type BandwidthEstimator interface {
	// OnREMB is called with each REMB bitrate the viewer reports.
	OnREMB(bitsPerSecond uint64)
	// OnReceiverReport is called with each receiver report's loss fraction
	// (0..1) and the bitrate currently sent to the viewer.
	OnReceiverReport(fractionLost float64, sendingBitsPerSecond uint64)
	// Estimate returns the allowed bitrate; 0 means unknown (no limit).
	Estimate() uint64
}

// lossEstimator is the default estimator: REMB when the viewer sends it,
// else a loss-based controller in the spirit of GCC's loss-based part
// (cut on more than 10 % loss, grow 8 % per report below 2 %).
type lossEstimator struct {
	mu     sync.Mutex
	est    uint64
	remb   uint64
	rembAt time.Time
}

func newLossEstimator() BandwidthEstimator { return &lossEstimator{} }

// OnREMB implements BandwidthEstimator.
func (e *lossEstimator) OnREMB(bps uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.remb, e.rembAt = bps, time.Now()
}

// OnReceiverReport implements BandwidthEstimator.
func (e *lossEstimator) OnReceiverReport(lost float64, sending uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case lost > 0.10:
		base := e.est
		if base == 0 || (sending > 0 && sending < base) {
			base = sending
		}
		e.est = uint64(float64(base) * (1 - lost/2))
	case lost < 0.02 && e.est != 0:
		e.est = uint64(float64(e.est) * 1.08)
		if e.est > 50_000_000 {
			e.est = 0 // effectively unlimited again
		}
	}
}

// Estimate implements BandwidthEstimator.
func (e *lossEstimator) Estimate() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.remb != 0 && time.Since(e.rembAt) < 5*time.Second {
		if e.est != 0 && e.est < e.remb {
			return e.est
		}
		return e.remb
	}
	return e.est
}

// ridRank orders common simulcast RIDs from low to high, for layers whose
// bitrate is not measured yet.
func ridRank(rid string) int {
	switch rid {
	case "q", "l", "low", "0":
		return 0
	case "h", "m", "mid", "1":
		return 1
	case "f", "hi", "high", "2":
		return 2
	}
	return 1
}

// sortLayers orders layers from lowest to highest bitrate.
func sortLayers(ls []*pubTrack) {
	sort.SliceStable(ls, func(i, j int) bool {
		bi, bj := ls[i].st.bitrate.Load(), ls[j].st.bitrate.Load()
		if bi != 0 && bj != 0 && bi != bj {
			return bi < bj
		}
		return ridRank(ls[i].rid) < ridRank(ls[j].rid)
	})
}

// chooseLayer picks the highest layer whose measured bitrate fits the
// estimate (with 15 % headroom), the lowest if none fits, and the highest
// when the estimate is unknown. Layers are sorted low to high.
func chooseLayer(layers []*pubTrack, estimate uint64) *pubTrack {
	if len(layers) == 0 {
		return nil
	}
	if estimate == 0 {
		return layers[len(layers)-1]
	}
	best := layers[0]
	for _, l := range layers[1:] {
		if float64(l.st.bitrate.Load()) <= float64(estimate)*0.85 {
			best = l
		}
	}
	return best
}
