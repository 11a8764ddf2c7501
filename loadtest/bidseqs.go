package loadtest

import "sync"

// recentBidSlots is how many public bid.accepted events a room remembers
// the bid of; a watcher further behind than that scans the event instead.
const recentBidSlots = 1024

// recentBids maps the event seq of a room's recent bid.accepted events to
// the ingress seq of the bid each carries. The first connection of the
// room to decode such an event notes it; the room's other watchers, which
// need only that seq to time the broadcast, look it up instead of scanning
// the same event again (with 2,000 watchers that scan was a sixth of the
// generator's CPU).
type recentBids struct {
	mu    sync.RWMutex
	slots [recentBidSlots]struct{ event, bid int64 }
}

// note records that event seq ev carries the bid with ingress seq bid.
func (r *recentBids) note(ev, bid int64) {
	if ev <= 0 || bid <= 0 {
		return
	}
	r.mu.Lock()
	r.slots[ev%recentBidSlots] = struct{ event, bid int64 }{ev, bid}
	r.mu.Unlock()
}

// bidOf returns the ingress seq of the bid in event ev, if noted and not
// yet overwritten.
func (r *recentBids) bidOf(ev int64) (int64, bool) {
	if ev <= 0 {
		return 0, false
	}
	r.mu.RLock()
	s := r.slots[ev%recentBidSlots]
	r.mu.RUnlock()
	if s.event != ev {
		return 0, false
	}
	return s.bid, true
}
