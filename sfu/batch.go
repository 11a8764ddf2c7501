package sfu

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/net/ipv4"
)

// maxBatch is the number of datagrams sent by one sendmmsg call.
const maxBatch = 64

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
// once. Batches of one writer are sent in the order they were filled, so a
// viewer never sees its packets reordered.
//
// Only IPv4 sockets batch: x/net marshals IPv4 destinations as AF_INET,
// which a dual-stack IPv6 socket rejects, so those write one datagram per
// call (bind ICEUDPAddr to 0.0.0.0:port to batch).
type batchConn struct {
	conn *net.UDPConn
	pc4  *ipv4.PacketConn // nil: batching disabled

	ssrcMu sync.RWMutex
	ssrcs  map[uint32]int

	writers []writerBatch
	pool    sync.Pool
}

type writerBatch struct {
	mu     sync.Mutex // guards open and cur
	open   bool
	cur    *batch
	sendMu sync.Mutex // held while a batch is taken and sent, to keep order
}

type batch struct {
	n     int
	bufs  [maxBatch][maxPacketSize + 100]byte
	addrs [maxBatch]net.UDPAddr
	ips   [maxBatch][4]byte
	msgs  [maxBatch]ipv4.Message
	outs  [maxBatch][][]byte
}

var _ net.PacketConn = (*batchConn)(nil)

func newBatchConn(conn *net.UDPConn, writers int) *batchConn {
	c := &batchConn{conn: conn, ssrcs: map[uint32]int{}, writers: make([]writerBatch, writers)}
	if la, ok := conn.LocalAddr().(*net.UDPAddr); ok && la.IP.To4() != nil {
		c.pc4 = ipv4.NewPacketConn(conn)
	}
	c.pool.New = func() any {
		b := &batch{}
		for i := range b.msgs {
			b.outs[i] = make([][]byte, 1)
			b.msgs[i].Buffers = b.outs[i]
			b.addrs[i].IP = b.ips[i][:]
			b.msgs[i].Addr = &b.addrs[i]
		}
		return b
	}
	return c
}

// register routes a viewer track's SSRC to writer w's batches.
func (c *batchConn) register(ssrc uint32, w int) {
	c.ssrcMu.Lock()
	c.ssrcs[ssrc] = w
	c.ssrcMu.Unlock()
}

func (c *batchConn) unregister(ssrc uint32) {
	c.ssrcMu.Lock()
	delete(c.ssrcs, ssrc)
	c.ssrcMu.Unlock()
}

// begin opens writer w's batch.
func (c *batchConn) begin(w int) {
	if c.pc4 == nil {
		return
	}
	wb := &c.writers[w]
	wb.mu.Lock()
	wb.open = true
	wb.mu.Unlock()
}

// end closes writer w's batch and sends it.
func (c *batchConn) end(w int) {
	if c.pc4 == nil {
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
	if b != nil {
		c.send(b)
	}
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
	c.ssrcMu.RLock()
	w, ok := c.ssrcs[ssrc]
	c.ssrcMu.RUnlock()
	if !ok {
		return nil
	}
	return &c.writers[w]
}

// WriteToAddrPort is the allocation-free path Pion's UDP mux uses.
func (c *batchConn) WriteToAddrPort(p []byte, addr netip.AddrPort) (int, error) {
	if c.pc4 == nil || len(p) > maxPacketSize+100 || !addr.Addr().Unmap().Is4() {
		return c.conn.WriteToUDPAddrPort(p, addr)
	}
	wb := c.writerFor(p)
	if wb == nil {
		return c.conn.WriteToUDPAddrPort(p, addr)
	}
	for {
		wb.mu.Lock()
		if !wb.open {
			wb.mu.Unlock()
			return c.conn.WriteToUDPAddrPort(p, addr)
		}
		b := wb.cur
		if b == nil {
			b = c.pool.Get().(*batch)
			wb.cur = b
		}
		if b.n == maxBatch {
			// Full: send it first (in order) and retry.
			wb.mu.Unlock()
			c.flush(wb)
			continue
		}
		i := b.n
		n := copy(b.bufs[i][:], p)
		b.outs[i][0] = b.bufs[i][:n]
		b.ips[i] = addr.Addr().Unmap().As4()
		b.addrs[i].Port = int(addr.Port())
		b.n++
		wb.mu.Unlock()
		return len(p), nil
	}
}

// send writes a batch with as few sendmmsg calls as the kernel allows and
// falls back to single writes on error (UDP loss semantics either way).
func (c *batchConn) send(b *batch) {
	msgs := b.msgs[:b.n]
	for len(msgs) > 0 {
		n, err := c.pc4.WriteBatch(msgs, 0)
		if err != nil || n <= 0 {
			for _, m := range msgs {
				_, _ = c.conn.WriteTo(m.Buffers[0], m.Addr)
			}
			break
		}
		msgs = msgs[n:]
	}
	b.n = 0
	c.pool.Put(b)
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
