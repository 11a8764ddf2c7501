package sfu

import (
	"sync/atomic"
	"time"
)

// writeJob asks a writer to send one packet to a shard of viewers. It is
// passed by value, so queueing it allocates nothing.
type writeJob struct {
	dts []*downTrack
	pkt *packet
}

// writer is one fan-out goroutine. Viewers are sharded across writers, so
// encrypting and sending to N viewers uses every core, and a reader never
// waits on a socket: it only does one channel send per writer.
type writer struct {
	ch  chan writeJob
	id  int
	tr  *transport   // nil in benchmarks
	now func() int64 // Server.now; nil: no send-delay histogram

	// sent holds the scope's video packets until its batch is sent, for
	// the send-delay histogram (senddelay.go).
	sent [maxJobsPerBatch]sentPacket
}

// sentPacket is what the send-delay histogram needs of a packet after its
// release.
type sentPacket struct {
	delay *sendDelay
	recv  int64
	pos   uint16
	key   bool
}

// maxJobsPerBatch bounds how many queued packets share one sendmmsg scope,
// so that a long queue does not hold back the first packets. It is large
// enough for a delta frame (about six packets at 1.5 Mbit/s), whose packets
// to one viewer then leave as one GSO message.
const maxJobsPerBatch = 8

func (w *writer) run() {
	for job := range w.ch {
		w.tr.beginBatch(w.id)
		n := w.do(job, 0)
		// Drain what is already queued into the same batch.
		for i := 1; i < maxJobsPerBatch; i++ {
			select {
			case next, ok := <-w.ch:
				if !ok {
					w.tr.endBatch(w.id)
					w.recordSent(n)
					return
				}
				n = w.do(next, n)
				continue
			default:
			}
			break
		}
		w.tr.endBatch(w.id)
		w.recordSent(n)
	}
}

// do writes job's packet to its shard and notes it in w.sent[n] when it is
// a video packet to measure; it returns the new count of noted packets.
func (w *writer) do(job writeJob, n int) int {
	for _, dt := range job.dts {
		dt.writeLive(job.pkt)
	}
	p := job.pkt
	if src := p.src; src != nil && src.delay != nil && !p.padding && w.now != nil {
		w.sent[n] = sentPacket{delay: src.delay, recv: p.recv, pos: p.pos, key: p.inKey}
		n++
	}
	p.release()
	return n
}

// recordSent adds the scope's noted packets to their histograms, now that
// their batch has been sent.
func (w *writer) recordSent(n int) {
	if n == 0 {
		return
	}
	now := w.now()
	for i := range n {
		s := &w.sent[i]
		s.delay.record(s.key, s.pos, time.Duration(now-s.recv))
		s.delay = nil
	}
}

// shardSet is the set of viewers of one feed, split by writer. Each shard is
// an immutable slice replaced on change (copy on write), so the reader's
// per-packet walk takes no lock and allocates nothing.
type shardSet struct {
	shards []atomic.Pointer[[]*downTrack]
}

func newShardSet(writers int) *shardSet {
	return &shardSet{shards: make([]atomic.Pointer[[]*downTrack], writers)}
}

// add puts dt in shard i. Callers serialize add and remove (feed.mu).
func (s *shardSet) add(i int, dt *downTrack) {
	var cur []*downTrack
	if p := s.shards[i].Load(); p != nil {
		cur = *p
	}
	next := make([]*downTrack, 0, len(cur)+1)
	next = append(next, cur...)
	next = append(next, dt)
	s.shards[i].Store(&next)
}

// remove takes dt out of shard i.
func (s *shardSet) remove(i int, dt *downTrack) {
	p := s.shards[i].Load()
	if p == nil {
		return
	}
	next := make([]*downTrack, 0, len(*p))
	for _, d := range *p {
		if d != dt {
			next = append(next, d)
		}
	}
	s.shards[i].Store(&next)
}

// dispatch queues p for every non-empty shard. A full queue means that
// shard's writer is behind: its viewers skip to the next keyframe (the
// packet is dropped for them) rather than stalling the reader and every
// other viewer. It returns true if any shard was congested.
func (s *shardSet) dispatch(writers []*writer, p *packet) (congested bool) {
	for i := range s.shards {
		sp := s.shards[i].Load()
		if sp == nil || len(*sp) == 0 {
			continue
		}
		p.retain()
		select {
		case writers[i].ch <- writeJob{dts: *sp, pkt: p}:
		default:
			p.release()
			for _, dt := range *sp {
				dt.congested.Store(true)
			}
			congested = true
		}
	}
	return congested
}
