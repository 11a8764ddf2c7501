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

// sortLayers orders layers from lowest to highest bitrate. Relayed layers
// keep the origin's order: they arrive over separate peers, each with its
// own jitter, so a short sample of their bitrates could swap them.
func sortLayers(ls []*pubTrack) {
	sort.SliceStable(ls, func(i, j int) bool {
		if ls[i].relayRank > 0 && ls[j].relayRank > 0 {
			return ls[i].relayRank < ls[j].relayRank
		}
		bi, bj := ls[i].st.bitrate.Load(), ls[j].st.bitrate.Load()
		if bi != 0 && bj != 0 && bi != bj {
			return bi < bj
		}
		return ls[i].order() < ls[j].order()
	})
}

// order is t's place among its feed's layers while bitrates do not tell:
// the origin's order for a relayed layer (relayRank), else its RID's
// usual rank.
func (t *pubTrack) order() int {
	if t.relayRank > 0 {
		return t.relayRank - 1
	}
	return ridRank(t.rid)
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
		if fits(l.st.bitrate.Load(), estimate) {
			best = l
		}
	}
	return best
}

// fits reports whether a layer of bitrate bps fits estimate, with 15 %
// headroom; a layer not measured yet (0) fits.
func fits(bps, estimate uint64) bool {
	return float64(bps) <= float64(estimate)*0.85
}

// chooseIndex is chooseLayer over bitrates alone (low to high): the index
// of the layer chooseLayer would pick. A relay uses it for layers it does
// not carry yet.
func chooseIndex(bitrates []uint64, estimate uint64) int {
	if len(bitrates) == 0 {
		return -1
	}
	if estimate == 0 {
		return len(bitrates) - 1
	}
	best := 0
	for i := 1; i < len(bitrates); i++ {
		if fits(bitrates[i], estimate) {
			best = i
		}
	}
	return best
}

// layerPin fixes the layer a relay's session receives on the origin (see
// relaylayers.go): the one named rid, or the lowest.
type layerPin struct {
	rid    string
	lowest bool
}

// choose picks the layer d should receive among a feed's layers (sorted low
// to high): the pinned one for a relay's session (the lowest when the
// pinned RID is gone, until the publisher sends it again), else the one its
// bandwidth estimate allows.
func (d *downTrack) choose(layers []*pubTrack) *pubTrack {
	layers = compatibleLayers(layers, d.codec)
	if p := d.pin; p != nil && len(layers) > 0 {
		if l := layerByRID(layers, p.rid); l != nil && !p.lowest {
			return l
		}
		return layers[0]
	}
	return chooseLayer(layers, d.estimate())
}

// layerByRID returns the layer named rid, or nil.
func layerByRID(layers []*pubTrack, rid string) *pubTrack {
	for _, l := range layers {
		if l.rid == rid {
			return l
		}
	}
	return nil
}
