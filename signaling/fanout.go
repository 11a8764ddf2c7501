package signaling

import (
	"strconv"
	"sync"

	"github.com/bidcast/bidcast/events"
)

// Fan-out of room events to a room's local connections.
//
// The hub's receive goroutine only decodes an event, encodes its envelope
// once and appends it to the room's backlog; the room's flusher goroutine
// (one per room, alive only while the backlog is not empty) takes the whole
// backlog at once and hands it to every connection. Under light load a
// backlog holds one event and goes out exactly as it came; under load the
// events that arrived while the previous round was being handed out form
// the next round, which each audience gets as one room.events message. So
// a room of 5,000 watchers costs one pass over its connections per round,
// not per event, and one write per connection per round.
//
// An audience is everyone who sees the same events of a round: the users a
// private event is for (To) or not for (Except) get rounds of their own,
// built once per user and handed to their connections first, so a bidder's
// own outcome never waits behind the public copy of the round; everyone
// else shares one message. Rounds with no public event skip the other
// connections entirely.

const (
	// maxListBytes bounds the events merged into one room.events message
	// (an event bigger than this goes alone), so a list stays below the
	// smallest read limit a client library sets by default
	// (coder/websocket's 32 KiB). A write costs about the same whatever
	// its size, so the larger the lists, the fewer writes a storm costs.
	maxListBytes = 24 << 10
	// maxListEvents bounds the events of one room.events message.
	maxListEvents = 256
)

// roomEvent is a room event as the hub received it, its envelope encoded
// once for every connection.
type roomEvent struct {
	ev    events.Event
	frame []byte
}

// run is a run of room events for one audience, sent as one message.
type run struct {
	frames [][]byte // each event's envelope
	seqs   []int64
	size   int
	msg    []byte // frames[0], or the room.events list of them all
	framed []byte // msg as one WebSocket frame, built once for every connection (wsframe.go)
}

// runsFor splits the events of evs that keep accepts into messages of at
// most maxListEvents events and maxListBytes bytes, each encoded once.
func runsFor(evs []roomEvent, keep func(events.Event) bool) []*run {
	var (
		out []*run
		cur *run
	)
	for _, e := range evs {
		if !keep(e.ev) {
			continue
		}
		if cur != nil && !fits(len(cur.frames), cur.size, 1, len(e.frame)) {
			out = append(out, cur.seal())
			cur = nil
		}
		if cur == nil {
			cur = &run{}
		}
		cur.frames = append(cur.frames, e.frame)
		cur.seqs = append(cur.seqs, e.ev.Seq)
		cur.size += len(e.frame)
	}
	if cur != nil {
		out = append(out, cur.seal())
	}
	return out
}

// seal encodes the run's message.
func (r *run) seal() *run {
	if len(r.frames) == 1 {
		r.msg = r.frames[0]
	} else {
		r.msg = appendList(make([]byte, 0, listSize(r.size, len(r.frames))), r.frames, r.seqs[len(r.seqs)-1])
	}
	r.framed = appendTextFrame(make([]byte, 0, maxFrameHeader+len(r.msg)), r.msg)
	return r
}

// fits reports whether m more events of size bytes may join a list of n
// events of have bytes.
func fits(n, have, m, size int) bool {
	return n+m <= maxListEvents && have+size <= maxListBytes
}

// The envelope of a room.events list around its events; the events array
// is the list's data, as RoomEventsData encodes it.
const (
	listHead = `{"v":1,"type":"` + TypeRoomEvents + `","seq":`
	listMid  = `,"data":{"events":[`
	listTail = `]}}`
)

// listSize is the length of a list of n events of size bytes, short of the
// seq's digits.
func listSize(size, n int) int { return len(listHead) + 20 + len(listMid) + size + n + len(listTail) }

// appendList appends the room.events message of frames, whose last event
// has seq last, to dst.
func appendList(dst []byte, frames [][]byte, last int64) []byte {
	dst = append(dst, listHead...)
	dst = strconv.AppendInt(dst, last, 10)
	dst = append(dst, listMid...)
	for i, f := range frames {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, f...)
	}
	return append(dst, listTail...)
}

// listBufs holds the buffers writers build merged lists in, so a lagging
// connection's merged message costs no allocation per write.
var listBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// enqueue adds ev to r's backlog and starts r's flusher if it is idle. It
// runs on the hub's receive goroutine, which owns r.lastSeq: an event the
// room has already had (read back from the log after a gap, then received
// again) is dropped here, so rounds never repeat a seq.
func (h *hub) enqueue(r *room, ev events.Event) {
	if ev.Seq <= r.lastSeq {
		return
	}
	r.lastSeq = ev.Seq
	h.g.events.Observe(r.id, ev.Seq)
	e := roomEvent{ev: ev, frame: encodeRaw(ev.Type, "", ev.Seq, ev.Data)}
	r.fmu.Lock()
	r.backlog = append(r.backlog, e)
	start := !r.flushing
	r.flushing = true
	r.fmu.Unlock()
	h.g.stats.eventsRelayed.Add(1)
	if start {
		// The receive goroutine holds its own count, so this Add never
		// races Shutdown's Wait.
		h.g.bgWG.Add(1)
		go h.flush(r)
	}
}

// flush hands r's backlog out round by round until it is empty.
func (h *hub) flush(r *room) {
	defer h.g.bgWG.Done()
	var spare []roomEvent
	for {
		r.fmu.Lock()
		evs := r.backlog
		if len(evs) == 0 {
			r.flushing = false
			r.fmu.Unlock()
			return
		}
		// The two backlogs take turns, so a busy room reuses them.
		r.backlog = spare[:0]
		r.fmu.Unlock()
		h.fanOut(r, evs)
		clear(evs)
		spare = evs
	}
}

// fanOut hands one round of events to every local connection of r that may
// see them, without blocking: first the users the round treats apart (a
// private event's recipient, a public event's own bidder), then everyone
// else.
func (h *hub) fanOut(r *room, evs []roomEvent) {
	var apart map[string]struct{}
	public := false
	for _, e := range evs {
		for _, u := range [2]string{e.ev.To, e.ev.Except} {
			if u == "" {
				continue
			}
			if apart == nil {
				apart = make(map[string]struct{})
			}
			apart[u] = struct{}{}
		}
		public = public || e.ev.To == ""
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for u := range apart {
		conns := r.byUser[u]
		if len(conns) == 0 {
			continue
		}
		runs := runsFor(evs, func(ev events.Event) bool { return ev.For(u) })
		for c := range conns {
			c.deliver(r.id, runs, true)
		}
	}
	if !public {
		return
	}
	// Everyone else sees exactly the public events.
	runs := runsFor(evs, func(ev events.Event) bool { return ev.To == "" })
	for c := range r.conns {
		if apart != nil {
			if _, ok := apart[c.id.UserID]; ok {
				continue
			}
		}
		c.deliver(r.id, runs, false)
	}
}
