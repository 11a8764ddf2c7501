package events

import (
	"sync"
	"sync/atomic"
)

// seqFloors remembers, per room, the highest event seq this node has seen:
// published, read back from the log, or relayed by its gateway (Observe).
// A publish passes it to the script, which numbers the event above it even
// if the room's counter went back. A Redis restarted without its last
// writes (appendfsync everysec) would otherwise hand out seqs the gateways
// have already relayed, and they, like clients, drop an event whose seq is
// not above the last they had: connected viewers would miss that many.
type seqFloors struct{ m sync.Map } // room ID → *atomic.Int64

// get returns the room's floor, 0 if none.
func (f *seqFloors) get(roomID string) int64 {
	if v, ok := f.m.Load(roomID); ok {
		return v.(*atomic.Int64).Load()
	}
	return 0
}

// raise makes seq the room's floor if it is higher.
func (f *seqFloors) raise(roomID string, seq int64) {
	if seq <= 0 {
		return
	}
	v, ok := f.m.Load(roomID)
	if !ok {
		v, _ = f.m.LoadOrStore(roomID, new(atomic.Int64))
	}
	n := v.(*atomic.Int64)
	for {
		cur := n.Load()
		if seq <= cur || n.CompareAndSwap(cur, seq) {
			return
		}
	}
}

// forget drops the room's floor (its log was retired).
func (f *seqFloors) forget(roomID string) { f.m.Delete(roomID) }

// Observe records that the room's event seq was seen on this node (its
// gateway relayed it), so the node's later publishes to the room are
// numbered above it.
func (l *RedisLog) Observe(roomID string, seq int64) { l.floors.raise(roomID, seq) }
