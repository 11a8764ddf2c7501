package loadtest

import (
	"math"
	"sort"
	"sync/atomic"
	"time"
)

// Histogram records durations in fixed buckets with atomic counters, so
// hundreds of viewer goroutines can record every packet without locks or
// memory growth. Resolution: 10 µs below 10 ms, 1 ms up to 1 s, 100 ms up
// to 60 s (an overloaded server's decisions and first frames), then one
// overflow bucket.
type Histogram struct {
	fine   [1000]atomic.Uint64 // 10 µs buckets, 0..10 ms
	coarse [990]atomic.Uint64  // 1 ms buckets, 10 ms..1 s
	slow   [590]atomic.Uint64  // 100 ms buckets, 1 s..60 s
	over   atomic.Uint64
	max    atomic.Int64
	count  atomic.Uint64
}

// Record adds one sample.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.count.Add(1)
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			break
		}
	}
	switch {
	case d < 10*time.Millisecond:
		h.fine[d/(10*time.Microsecond)].Add(1)
	case d < time.Second:
		h.coarse[(d-10*time.Millisecond)/time.Millisecond].Add(1)
	case d < time.Minute:
		h.slow[(d-time.Second)/(100*time.Millisecond)].Add(1)
	default:
		h.over.Add(1)
	}
}

// Count returns the number of samples.
func (h *Histogram) Count() uint64 { return h.count.Load() }

// Max returns the largest sample.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max.Load()) }

// Quantile returns the upper bound of the bucket holding quantile q. The
// rank is taken over the buckets' own total, not the sample count: a
// Record racing a Reset (the sampling windows are reset while viewers
// record) can leave its bucket without its count or the reverse, and a
// count that disagrees with the buckets would shift every quantile.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.bucketTotal()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	var seen uint64
	for i := range h.fine {
		if seen += h.fine[i].Load(); seen >= rank {
			return time.Duration(i+1) * 10 * time.Microsecond
		}
	}
	for i := range h.coarse {
		if seen += h.coarse[i].Load(); seen >= rank {
			return 10*time.Millisecond + time.Duration(i+1)*time.Millisecond
		}
	}
	for i := range h.slow {
		if seen += h.slow[i].Load(); seen >= rank {
			return min(time.Second+time.Duration(i+1)*100*time.Millisecond, h.Max())
		}
	}
	return h.Max()
}

// bucketTotal is the number of samples in the buckets.
func (h *Histogram) bucketTotal() uint64 {
	var n uint64
	for i := range h.fine {
		n += h.fine[i].Load()
	}
	for i := range h.coarse {
		n += h.coarse[i].Load()
	}
	for i := range h.slow {
		n += h.slow[i].Load()
	}
	return n + h.over.Load()
}

// Reset clears the histogram (used to discard the ramp-up phase).
func (h *Histogram) Reset() {
	for i := range h.fine {
		h.fine[i].Store(0)
	}
	for i := range h.coarse {
		h.coarse[i].Store(0)
	}
	for i := range h.slow {
		h.slow[i].Store(0)
	}
	h.over.Store(0)
	h.max.Store(0)
	h.count.Store(0)
}

// durations summarises a small set of per-viewer durations exactly.
type durations []time.Duration

func (d durations) quantile(q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append(durations(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(math.Ceil(q*float64(len(s)))) - 1
	if i < 0 {
		i = 0
	}
	return s[i]
}

func (d durations) max() time.Duration { return d.quantile(1) }

// freezeDetector counts video freezes the way WebRTC's stats define them:
// a frame whose interval since the previous one exceeds
// max(3 × the average interval, the average + 150 ms), the average being
// a running mean over about 30 frames.
type freezeDetector struct {
	last  time.Duration // arrival of the previous complete frame
	avg   time.Duration
	count int
	total time.Duration
}

// frame records the completion of a frame at t (any monotonic origin).
func (f *freezeDetector) frame(t time.Duration) {
	if f.last == 0 {
		f.last = t
		return
	}
	gap := t - f.last
	f.last = t
	if f.avg == 0 {
		f.avg = gap
		return
	}
	if gap > max(3*f.avg, f.avg+150*time.Millisecond) {
		f.count++
		f.total += gap
		return // a freeze does not drag the average up
	}
	f.avg += (gap - f.avg) / 30
}
