package loadtest

import (
	"fmt"
	"time"
)

// HistogramData is a Histogram written down: its non-empty buckets, so
// shards of a distributed run can send their raw latencies to `loadtest
// merge`. Merging adds bucket counts, so the merged histogram is exactly
// the one a single process would have filled with all the samples, and its
// percentiles are exact to the histogram's resolution (never an average
// of the shards' percentiles).
type HistogramData struct {
	// Buckets are [index, count] pairs: 0..999 are the 10 µs buckets below
	// 10 ms, 1000..1989 the 1 ms buckets up to 1 s, 1990..2579 the 100 ms
	// buckets up to 60 s, 2580 the overflow.
	Buckets [][2]uint64 `json:"buckets,omitempty"`
	Count   uint64      `json:"count"`
	MaxNS   int64       `json:"max_ns"`
}

const (
	fineBuckets   = 1000
	coarseBuckets = 990
	slowBuckets   = 590
	slowStart     = fineBuckets + coarseBuckets
	overBucket    = slowStart + slowBuckets
)

// Data returns the histogram's buckets (a snapshot; concurrent Records may
// or may not be in it).
func (h *Histogram) Data() HistogramData {
	d := HistogramData{Count: h.count.Load(), MaxNS: h.max.Load()}
	for i := range h.fine {
		if n := h.fine[i].Load(); n > 0 {
			d.Buckets = append(d.Buckets, [2]uint64{uint64(i), n})
		}
	}
	for i := range h.coarse {
		if n := h.coarse[i].Load(); n > 0 {
			d.Buckets = append(d.Buckets, [2]uint64{uint64(fineBuckets + i), n})
		}
	}
	for i := range h.slow {
		if n := h.slow[i].Load(); n > 0 {
			d.Buckets = append(d.Buckets, [2]uint64{uint64(slowStart + i), n})
		}
	}
	if n := h.over.Load(); n > 0 {
		d.Buckets = append(d.Buckets, [2]uint64{overBucket, n})
	}
	return d
}

// Add merges written-down samples into h.
func (h *Histogram) Add(d HistogramData) error {
	for _, b := range d.Buckets {
		switch i, n := b[0], b[1]; {
		case i < fineBuckets:
			h.fine[i].Add(n)
		case i < slowStart:
			h.coarse[i-fineBuckets].Add(n)
		case i < overBucket:
			h.slow[i-slowStart].Add(n)
		case i == overBucket:
			h.over.Add(n)
		default:
			return fmt.Errorf("histogram bucket %d out of range", i)
		}
	}
	h.count.Add(d.Count)
	for {
		m := h.max.Load()
		if d.MaxNS <= m || h.max.CompareAndSwap(m, d.MaxNS) {
			break
		}
	}
	return nil
}

// histogramOf rebuilds a histogram from written-down parts.
func histogramOf(parts ...HistogramData) (*Histogram, error) {
	h := &Histogram{}
	for _, p := range parts {
		if err := h.Add(p); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// nsDurations converts written-down nanoseconds back to durations.
func nsDurations(ns []int64) durations {
	out := make(durations, len(ns))
	for i, v := range ns {
		out[i] = time.Duration(v)
	}
	return out
}
