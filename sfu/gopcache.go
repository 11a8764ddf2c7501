package sfu

import (
	"cmp"
	"slices"
	"unsafe"
)

// packetFootprint is the memory one cached packet holds, whatever its size:
// packets are pooled whole, so a 100-byte packet keeps a full buffer.
const packetFootprint = int(unsafe.Sizeof(packet{}))

// gopCache keeps one video track's packets since its last keyframe start,
// so that a joining viewer can start decoding at once even when the
// publisher answers keyframe requests late or never (aiortc's H.264 encoder
// ignores PLI and sends an IDR every 8 s). It is bounded in bytes: a group
// of pictures that outgrows the bound is dropped whole (a partial one cannot
// be decoded) and the cache stays empty until the next keyframe.
//
// Concurrency: the owner (pubTrack) guards every call with its mu.
type gopCache struct {
	pkts  []*packet
	bytes int   // footprint of pkts
	limit int   // bound on bytes
	at    int64 // Server.now() of the cached keyframe start; 0: nothing to replay
}

// add keeps p (taking a reference) when it belongs to the current group of
// pictures; a keyframe start begins a new one.
func (c *gopCache) add(p *packet) {
	if p.kfStart {
		c.reset()
		c.at = p.recv
		if c.at == 0 {
			c.at = 1 // 0 means empty; a clock starting at 0 must not hide a keyframe
		}
	}
	if c.at == 0 {
		return
	}
	if c.bytes+packetFootprint > c.limit {
		c.reset()
		return
	}
	p.retain()
	c.pkts = append(c.pkts, p)
	c.bytes += packetFootprint
}

// reset releases every cached packet and empties the cache.
func (c *gopCache) reset() {
	for i, q := range c.pkts {
		q.release()
		c.pkts[i] = nil
	}
	c.pkts = c.pkts[:0]
	c.bytes = 0
	c.at = 0
}

// snapshot returns referenced copies of the cached packets (nil when there
// is nothing to replay) and the time of the cached keyframe start.
func (c *gopCache) snapshot() ([]*packet, int64) {
	if c.at == 0 || len(c.pkts) == 0 {
		return nil, 0
	}
	out := make([]*packet, len(c.pkts))
	for i, q := range c.pkts {
		q.retain()
		out[i] = q
	}
	return out, c.at
}

// replay is a cached group of pictures handed to one joining viewer.
type replay struct {
	pkts []*packet
	// squeeze replays the frames with timestamps one tick apart, ending at
	// the live edge, instead of their own: a group of pictures seconds old
	// would otherwise make the viewer's jitter buffer play it out in real
	// time and keep the viewer that far behind live for good.
	squeeze bool
}

// release frees the replay's packets.
func (r *replay) release() {
	for _, p := range r.pkts {
		p.release()
	}
	r.pkts = nil
}

// squeezedTimestamps maps each publisher timestamp of a replay to its
// place relative to the newest frame: 0 for the newest, -1 tick for the
// frame before it, and so on, so that the viewer's decoder receives every
// frame it needs but plays them out at once. It also returns the newest
// timestamp. Frames are ordered by timestamp, not by arrival, so a
// retransmitted packet cached late still joins its own frame.
func squeezedTimestamps(pkts []*packet) (map[uint32]uint32, uint32) {
	if len(pkts) == 0 {
		return nil, 0
	}
	first := pkts[0].ts
	tss := make([]uint32, 0, 64)
	seen := make(map[uint32]uint32, 64)
	for _, p := range pkts {
		if _, ok := seen[p.ts]; !ok {
			seen[p.ts] = 0
			tss = append(tss, p.ts)
		}
	}
	// Serial-number order from the keyframe's timestamp (RFC 3550 wraps).
	slices.SortFunc(tss, func(a, b uint32) int { return cmp.Compare(int32(a-first), int32(b-first)) })
	newest := tss[len(tss)-1]
	for i, ts := range tss {
		seen[ts] = -uint32(len(tss) - 1 - i) // two's complement: adding it subtracts ticks
	}
	return seen, newest
}
