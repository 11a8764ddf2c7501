package sfu

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
)

// maxPacketSize bounds one RTP packet read from a publisher. Pion's default
// receive MTU is 1460, so 1500 always fits.
const maxPacketSize = 1500

// packet is one RTP packet read from a publisher track. It is shared, not
// copied: the reader, every writer shard, the retransmission ring and the
// keyframe cache each hold a reference, and the last release returns it to
// the pool. Fields are written only by the reader before the packet is
// published, so readers of a published packet need no locks.
type packet struct {
	buf     [maxPacketSize]byte
	n       int    // bytes of buf in use (without padding)
	payload int    // offset of the payload in buf
	seq     uint16 // publisher sequence number
	ts      uint32 // publisher RTP timestamp
	marker  bool
	// padding marks a padding-only packet (a publisher's bandwidth probe).
	// It is forwarded as such, so that viewers see no sequence gap.
	padding bool
	// keyframe is set on every packet that carries keyframe data; kfStart on
	// the first such packet of a frame, where a viewer may start decoding.
	keyframe bool
	kfStart  bool
	recv     int64 // Server.now() when read, for latency accounting
	// pos is the packet's position in its frame (0 first) and inKey tells
	// whether the frame is a keyframe, for the send-delay histogram.
	pos   uint16
	inKey bool
	src   *pubTrack
	refs  atomic.Int32
}

var packetPool = sync.Pool{New: func() any { return new(packet) }}

// getPacket returns a packet holding one reference.
func getPacket() *packet {
	p := packetPool.Get().(*packet)
	p.refs.Store(1)
	return p
}

func (p *packet) retain() { p.refs.Add(1) }

// release drops one reference and recycles the packet when none remain.
func (p *packet) release() {
	switch r := p.refs.Add(-1); {
	case r == 0:
		p.src = nil
		packetPool.Put(p)
	case r < 0:
		panic("sfu: packet released twice")
	}
}

// Payload returns the RTP payload without header and padding.
func (p *packet) Payload() []byte { return p.buf[p.payload:p.n] }

// parse reads the fields the forwarder needs from the first n bytes of buf
// without allocating (rtp.Header.Unmarshal allocates for extensions). It
// reports false for packets that are not RTP version 2 or are truncated.
// Padding is stripped, except from padding-only packets: those are kept
// whole because dropping them would leave a sequence gap that viewers
// (Chrome's H.264 frame assembly among them) treat as loss.
func (p *packet) parse(n int) bool {
	b := p.buf[:n]
	if n < 12 || b[0]>>6 != 2 {
		return false
	}
	hasPadding := b[0]&0x20 != 0
	hasExt := b[0]&0x10 != 0
	csrc := int(b[0] & 0x0f)
	p.marker = b[1]&0x80 != 0
	p.seq = binary.BigEndian.Uint16(b[2:4])
	p.ts = binary.BigEndian.Uint32(b[4:8])
	off := 12 + 4*csrc
	if hasExt {
		if n < off+4 {
			return false
		}
		off += 4 + 4*int(binary.BigEndian.Uint16(b[off+2:off+4]))
	}
	if off >= n {
		return false
	}
	p.keyframe, p.kfStart, p.padding = false, false, false
	end := n
	if hasPadding {
		end -= int(b[n-1])
	}
	if end <= off {
		if !hasPadding || b[n-1] == 0 || int(b[n-1]) > n-off {
			return false
		}
		p.payload, p.n, p.padding = off, n, true
		return true
	}
	p.payload, p.n = off, end
	return true
}
