package sfu

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// sendDelay is a publisher video track's histogram of the time from a
// packet's read (packet.recv) to the end of the sendmmsg that carried it to
// the last viewer of a writer's shard: the server's own share of a
// viewer's forwarding latency. It is kept per position of the packet in its
// frame, for keyframes and delta frames apart, so that a keyframe burst's
// tail can be told from the rest (docs/PERFORMANCE.md, "The keyframe
// burst's tail"). Writers record into it with atomic adds; it is allocated
// with the track's first video packet (about 16 KiB).
type sendDelay struct {
	counts [2][delayGroups][delayBuckets]atomic.Uint32
}

const (
	// delayGroups are positions in a frame: 0, 1, 2-3, 4-7, ..., 64 and up.
	delayGroups = 8
	// delayBuckets are 0.5 ms wide; the last holds 127.5 ms and more.
	delayBuckets = 256
	delayBucket  = 500 * time.Microsecond
)

// delayGroup maps a packet's position in its frame to its group.
func delayGroup(pos uint16) int {
	if pos == 0 {
		return 0
	}
	return min(bits.Len16(pos), delayGroups-1)
}

// groupName is the range of positions a group holds.
func groupName(g int) string {
	return [delayGroups]string{"0", "1", "2-3", "4-7", "8-15", "16-31", "32-63", "64+"}[g]
}

func (s *sendDelay) record(key bool, pos uint16, d time.Duration) {
	b := int(d / delayBucket)
	b = max(min(b, delayBuckets-1), 0)
	k := 0
	if key {
		k = 1
	}
	s.counts[k][delayGroup(pos)][b].Add(1)
}

// SendDelayStats summarizes the read-to-sent delay of one publisher
// track's packets at one range of positions in their frames. Quantiles are
// the upper bounds of 0.5 ms buckets; 128 ms means "at least 127.5 ms".
type SendDelayStats struct {
	Keyframe  bool   // packets of keyframes, else of delta frames
	Positions string // the packets' positions in their frame, from 0
	Packets   uint64 // packets recorded (one per writer shard sent to)
	P50       time.Duration
	P90       time.Duration
	P99       time.Duration
	Max       time.Duration
}

// snapshot returns the non-empty groups, delta frames first.
func (s *sendDelay) snapshot() []SendDelayStats {
	if s == nil {
		return nil
	}
	var out []SendDelayStats
	for k := range s.counts {
		for g := range s.counts[k] {
			var c [delayBuckets]uint64
			var n uint64
			for b := range c {
				c[b] = uint64(s.counts[k][g][b].Load())
				n += c[b]
			}
			if n == 0 {
				continue
			}
			st := SendDelayStats{Keyframe: k == 1, Positions: groupName(g), Packets: n}
			var acc uint64
			for b, v := range c {
				if v == 0 {
					continue
				}
				acc += v
				upper := time.Duration(b+1) * delayBucket
				if st.P50 == 0 && acc*100 >= n*50 {
					st.P50 = upper
				}
				if st.P90 == 0 && acc*100 >= n*90 {
					st.P90 = upper
				}
				if st.P99 == 0 && acc*100 >= n*99 {
					st.P99 = upper
				}
				st.Max = upper
			}
			out = append(out, st)
		}
	}
	return out
}
