package sfu

import "sync"

// nackBuffer keeps the most recent packets of one publisher track, indexed by
// the publisher's sequence number, so that every viewer's NACK is served from
// one copy instead of one buffer per viewer. The reader goroutine adds; RTCP
// goroutines of many viewers look up, hence the mutex (held for a few
// nanoseconds per call).
type nackBuffer struct {
	mu    sync.Mutex
	slots []*packet
	mask  uint16
}

func newNACKBuffer(size int) *nackBuffer {
	n := 1
	for n < size {
		n <<= 1
	}
	return &nackBuffer{slots: make([]*packet, n), mask: uint16(n - 1)}
}

// put stores p (taking a reference) and releases the packet it replaces.
func (b *nackBuffer) put(p *packet) {
	p.retain()
	b.mu.Lock()
	i := p.seq & b.mask
	old := b.slots[i]
	b.slots[i] = p
	b.mu.Unlock()
	if old != nil {
		old.release()
	}
}

// get returns the packet with publisher sequence number seq, with a reference
// the caller must release, or nil if it is gone or was never received.
func (b *nackBuffer) get(seq uint16) *packet {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.slots[seq&b.mask]
	if p == nil || p.seq != seq {
		return nil
	}
	p.retain()
	return p
}

// clear releases every stored packet; used when the track ends.
func (b *nackBuffer) clear() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, p := range b.slots {
		if p != nil {
			p.release()
			b.slots[i] = nil
		}
	}
}
