package sfu

import (
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
)

// maxBatch is the number of datagrams one writer's batch holds: enough for
// the packets of a writer scope (maxJobsPerBatch) to about a hundred viewers,
// so that the packets of one frame to one viewer meet in the same batch and
// can leave as one GSO message (see gso_linux.go). A batch is about 1.8 MB,
// allocated on first use; a writer keeps one for reuse.
const maxBatch = 1024

// slotSize is the room for one SRTP datagram in a batch.
const slotSize = maxPacketSize + 100

// batchConn wraps the shared ICE UDP socket so that a writer's fan-out
// leaves through sendmmsg(2): one system call per batch of viewers instead
// of one per viewer. Profiles of 200 viewers showed the per-datagram sendto
// as more than half of the server's CPU.
//
// Each writer goroutine has its own batch, found from the SSRC in the
// (unencrypted) RTP header of the SRTP packet Pion hands down: every viewer
// SSRC is registered with its writer when its track is bound. A batch is
// open only while its writer is inside begin/end; everything else (ICE,
// DTLS, RTCP, packets of a writer that is not in a scope) is written at
// once. A viewer never sees its packets reordered: a batch keeps each
// destination's datagrams in the order they were written, and batches of
// one writer are sent in the order they were filled.
//
// Where the kernel supports UDP GSO, the datagrams of a batch to one
// destination are sent as one message with a UDP_SEGMENT control message
// (consecutive datagrams of equal size, the last may be shorter): the
// kernel walks its send path once per run instead of once per datagram.
//
// An IPv4 socket batches its (IPv4) destinations. A dual-stack IPv6 socket
// (ICEUDPAddr ":8443", the documented production setting) batches IPv4 and
// IPv6 destinations on Linux, which accepts an AF_INET destination (what
// x/net marshals for an IPv4 address) on such a socket; if a batch is
// refused anyway, batching is turned off for good and every datagram is
// written on its own, as on other systems.
type batchConn struct {
	conn *net.UDPConn
	pc   *ipv4.PacketConn // nil: batching disabled
	v6   bool             // an IPv6 socket: IPv6 destinations batch too
	// off is set when an IPv6 socket refused a batch (see send).
	off atomic.Bool
	// gso is true while UDP GSO is in use; a send the kernel refuses
	// turns it off for good (see send).
	gso atomic.Bool
	// writeBatch is pc.WriteBatch; tests replace it to make sends fail.
	writeBatch func([]ipv4.Message, int) (int, error)

	// ssrcs maps viewer SSRCs to writers. It is read for every datagram
	// and replaced on joins and leaves (copy on write): a copy costs far
	// less than the DTLS handshake of the join that causes it.
	ssrcs atomic.Pointer[map[uint32]int]
	ssrcW sync.Mutex // serializes register and unregister

	writers []writerBatch
}

type writerBatch struct {
	mu     sync.Mutex // guards open, cur and spare
	open   bool
	cur    *batch
	spare  *batch     // a sent batch kept for reuse (batches are large)
	sendMu sync.Mutex // held while a batch is taken and sent, to keep order
	// queued counts datagrams put in this writer's batches: a write that
	// advanced it did not wait on the socket (see downTrack.write).
	queued atomic.Uint64
}

// batch is one writer's datagrams waiting for sendmmsg, and the scratch
// space to send them without allocating.
type batch struct {
	n    int
	lens [maxBatch]uint16
	dsts [maxBatch]netip.AddrPort
	bufs [maxBatch][slotSize]byte

	// Send scratch: messages, their iovecs, addresses and GSO cmsgs, and
	// the per-destination chains that group datagrams for GSO.
	msgs  [maxBatch]ipv4.Message
	iovs  [maxBatch][]byte
	addrs [maxBatch]net.UDPAddr
	ips   [maxBatch][16]byte
	oobs  [maxBatch]cmsgBuf
	next  [maxBatch]int32
	heads []int32
	tails []int32
	group map[netip.AddrPort]int32
}

// cmsgBuf is room for one control message, aligned for its header.
type cmsgBuf struct {
	_ [0]uint64
	b [gsoCmsgSpace]byte
}

var _ net.PacketConn = (*batchConn)(nil)

func newBatchConn(conn *net.UDPConn, writers int, gso bool) *batchConn {
	c := &batchConn{conn: conn, writers: make([]writerBatch, writers)}
	c.ssrcs.Store(&map[uint32]int{})
	if la, ok := conn.LocalAddr().(*net.UDPAddr); ok && (la.IP.To4() != nil || runtime.GOOS == "linux") {
		c.pc = ipv4.NewPacketConn(conn) // WriteBatch marshals each address by its own family
		c.v6 = la.IP.To4() == nil
		c.writeBatch = c.pc.WriteBatch
		c.gso.Store(gso && gsoSupported(conn))
	}
	return c
}

func newBatch() *batch {
	b := &batch{heads: make([]int32, 0, maxBatch), tails: make([]int32, 0, maxBatch),
		group: make(map[netip.AddrPort]int32, maxBatch)}
	return b
}

// batching reports whether writes may go into batches.
func (c *batchConn) batching() bool { return c.pc != nil && !c.off.Load() }

// register routes a viewer track's SSRC to writer w's batches.
func (c *batchConn) register(ssrc uint32, w int) {
	c.ssrcW.Lock()
	defer c.ssrcW.Unlock()
	cur := *c.ssrcs.Load()
	next := make(map[uint32]int, len(cur)+1)
	for k, v := range cur {
		next[k] = v
	}
	next[ssrc] = w
	c.ssrcs.Store(&next)
}

func (c *batchConn) unregister(ssrc uint32) {
	c.ssrcW.Lock()
	defer c.ssrcW.Unlock()
	cur := *c.ssrcs.Load()
	if _, ok := cur[ssrc]; !ok {
		return
	}
	next := make(map[uint32]int, len(cur))
	for k, v := range cur {
		if k != ssrc {
			next[k] = v
		}
	}
	c.ssrcs.Store(&next)
}

// begin opens writer w's batch.
func (c *batchConn) begin(w int) {
	if !c.batching() {
		return
	}
	wb := &c.writers[w]
	wb.mu.Lock()
	wb.open = true
	wb.mu.Unlock()
}

// end closes writer w's batch and sends it.
func (c *batchConn) end(w int) {
	if c.pc == nil {
		return
	}
	wb := &c.writers[w]
	wb.mu.Lock()
	wb.open = false
	wb.mu.Unlock()
	c.flush(wb)
}

func (c *batchConn) flush(wb *writerBatch) {
	wb.sendMu.Lock()
	defer wb.sendMu.Unlock()
	wb.mu.Lock()
	b := wb.cur
	wb.cur = nil
	wb.mu.Unlock()
	if b == nil {
		return
	}
	c.send(b)
	wb.mu.Lock()
	if wb.spare == nil {
		wb.spare = b
	}
	wb.mu.Unlock()
}

// writerFor returns the batch of the writer owning an RTP packet's SSRC.
func (c *batchConn) writerFor(p []byte) *writerBatch {
	if len(p) < 12 || p[0]>>6 != 2 {
		return nil // STUN or DTLS
	}
	if pt := p[1] & 0x7f; pt >= 64 && pt < 96 {
		return nil // RTCP (packet types 192..223)
	}
	ssrc := uint32(p[8])<<24 | uint32(p[9])<<16 | uint32(p[10])<<8 | uint32(p[11])
	w, ok := (*c.ssrcs.Load())[ssrc]
	if !ok {
		return nil
	}
	return &c.writers[w]
}

// WriteToAddrPort is the allocation-free path Pion's UDP mux uses.
func (c *batchConn) WriteToAddrPort(p []byte, addr netip.AddrPort) (int, error) {
	dst := netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	if !c.batching() || len(p) > slotSize || (!dst.Addr().Is4() && (!c.v6 || dst.Addr().Zone() != "")) {
		return c.conn.WriteToUDPAddrPort(p, addr)
	}
	wb := c.writerFor(p)
	if wb == nil {
		return c.conn.WriteToUDPAddrPort(p, addr)
	}
	b := c.slot(wb)
	if b == nil {
		return c.conn.WriteToUDPAddrPort(p, addr)
	}
	i := b.n
	b.lens[i] = uint16(copy(b.bufs[i][:], p))
	b.dsts[i] = dst
	b.n++
	wb.mu.Unlock()
	wb.queued.Add(1)
	return len(p), nil
}

// slot returns writer wb's current batch with room for one more datagram,
// with wb.mu held, or nil (and wb.mu not held) when wb has no open scope.
// A full batch is sent first, so datagrams keep their order.
func (c *batchConn) slot(wb *writerBatch) *batch {
	for {
		wb.mu.Lock()
		if !wb.open {
			wb.mu.Unlock()
			return nil
		}
		b := wb.cur
		if b == nil {
			b, wb.spare = wb.spare, nil
			if b == nil {
				b = newBatch()
			}
			wb.cur = b
		}
		if b.n < maxBatch {
			return b
		}
		wb.mu.Unlock()
		c.flush(wb)
	}
}

// sealer writes one datagram in place into a batch slot and returns its
// length (directsrtp.go encrypts there).
type sealer interface{ seal(buf []byte) (int, error) }

// appendSealed puts a datagram to dst into writer w's open batch, written by
// s straight into its slot (no copy). It reports false, having done nothing,
// when the datagram cannot be batched: batching is off, w is not in a
// scope, or the socket does not batch such a destination.
func (c *batchConn) appendSealed(w int, dst netip.AddrPort, s sealer) (bool, error) {
	dst = netip.AddrPortFrom(dst.Addr().Unmap(), dst.Port())
	if !c.batching() || (!dst.Addr().Is4() && (!c.v6 || dst.Addr().Zone() != "")) {
		return false, nil
	}
	wb := &c.writers[w]
	b := c.slot(wb)
	if b == nil {
		return false, nil
	}
	i := b.n
	n, err := s.seal(b.bufs[i][:])
	if err != nil {
		wb.mu.Unlock()
		return true, err
	}
	b.lens[i] = uint16(n)
	b.dsts[i] = dst
	b.n++
	wb.mu.Unlock()
	wb.queued.Add(1)
	return true, nil
}

// send writes a batch with as few sendmmsg calls as the kernel allows. A
// failed GSO send turns GSO off and resends its datagrams one by one; any
// other failure falls back to single writes (UDP loss semantics either way).
func (c *batchConn) send(b *batch) {
	gso := c.gso.Load()
	var msgs []ipv4.Message
	if gso {
		msgs = b.gsoMessages()
	} else {
		msgs = b.plainMessages()
	}
	for len(msgs) > 0 {
		n, err := c.writeBatch(msgs, 0)
		if err != nil || n <= 0 {
			if gso && len(msgs[0].OOB) > 0 {
				c.gso.Store(false)
			} else if c.v6 {
				c.off.Store(true)
			}
			for _, m := range msgs {
				ap := m.Addr.(*net.UDPAddr).AddrPort()
				for _, seg := range m.Buffers {
					_, _ = c.conn.WriteToUDPAddrPort(seg, ap)
				}
			}
			break
		}
		msgs = msgs[n:]
	}
	b.n = 0
}

// plainMessages makes one message per datagram, in the order written.
func (b *batch) plainMessages() []ipv4.Message {
	for i := 0; i < b.n; i++ {
		b.iovs[i] = b.bufs[i][:b.lens[i]]
		b.setMessage(i, b.iovs[i:i+1], b.dsts[i], 0)
	}
	return b.msgs[:b.n]
}

// gsoMessages groups the batch by destination (keeping each destination's
// order) and makes one message per run of equal-size datagrams to one
// destination; a shorter datagram ends a run, as UDP_SEGMENT requires.
func (b *batch) gsoMessages() []ipv4.Message {
	b.heads, b.tails = b.heads[:0], b.tails[:0]
	clear(b.group)
	for i := 0; i < b.n; i++ {
		b.next[i] = -1
		g, ok := b.group[b.dsts[i]]
		if !ok {
			b.group[b.dsts[i]] = int32(len(b.heads))
			b.heads = append(b.heads, int32(i))
			b.tails = append(b.tails, int32(i))
			continue
		}
		b.next[b.tails[g]] = int32(i)
		b.tails[g] = int32(i)
	}
	m, v := 0, 0
	for _, h := range b.heads {
		for i := h; i >= 0; {
			size, dst := b.lens[i], b.dsts[i]
			start, total := v, 0
			for i >= 0 && v-start < maxGSOSegments && total+int(b.lens[i]) <= maxGSOBytes && b.lens[i] <= size {
				b.iovs[v] = b.bufs[i][:b.lens[i]]
				v++
				total += int(b.lens[i])
				short := b.lens[i] < size
				i = b.next[i]
				if short {
					break
				}
			}
			seg := 0
			if v-start > 1 {
				seg = int(size)
			}
			b.setMessage(m, b.iovs[start:v], dst, seg)
			m++
		}
	}
	return b.msgs[:m]
}

// setMessage fills message m; seg > 0 adds a UDP_SEGMENT of that size.
func (b *batch) setMessage(m int, bufs [][]byte, dst netip.AddrPort, seg int) {
	msg := &b.msgs[m]
	if a := dst.Addr(); a.Is4() {
		b.ips[m] = [16]byte{}
		v4 := a.As4()
		copy(b.ips[m][:], v4[:])
		b.addrs[m].IP = b.ips[m][:4]
	} else {
		b.ips[m] = a.As16()
		b.addrs[m].IP = b.ips[m][:]
	}
	b.addrs[m].Port = int(dst.Port())
	msg.Buffers, msg.Addr, msg.OOB = bufs, &b.addrs[m], nil
	if seg > 0 {
		msg.OOB = putGSOCmsg(b.oobs[m].b[:], seg)
	}
}

// ReadFromAddrPort implements Pion's allocation-free read path.
func (c *batchConn) ReadFromAddrPort(p []byte) (int, netip.AddrPort, error) {
	return c.conn.ReadFromUDPAddrPort(p)
}

// WriteTo implements net.PacketConn.
func (c *batchConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if ua, ok := addr.(*net.UDPAddr); ok {
		return c.WriteToAddrPort(p, ua.AddrPort())
	}
	return c.conn.WriteTo(p, addr)
}

// ReadFrom implements net.PacketConn.
func (c *batchConn) ReadFrom(p []byte) (int, net.Addr, error) { return c.conn.ReadFrom(p) }

// Close implements net.PacketConn.
func (c *batchConn) Close() error { return c.conn.Close() }

// LocalAddr implements net.PacketConn.
func (c *batchConn) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// SetDeadline implements net.PacketConn.
func (c *batchConn) SetDeadline(t time.Time) error { return c.conn.SetDeadline(t) }

// SetReadDeadline implements net.PacketConn.
func (c *batchConn) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// SetWriteDeadline implements net.PacketConn.
func (c *batchConn) SetWriteDeadline(t time.Time) error { return c.conn.SetWriteDeadline(t) }
