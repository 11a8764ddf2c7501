package loadtest

import (
	"net"
	"sync"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
)

// A viewer's forwarding latency is taken when its reader gets a packet,
// after the viewer's WebRTC stack has read, decrypted and queued it. With
// hundreds of viewers in one process, a keyframe burst queues behind every
// other viewer's decryption on the generator's cores, and that wait is the
// same whichever SFU sent the burst. The arrival latency measures the SFU
// instead: the kernel stamps each datagram as it reaches the viewer's
// socket (SO_TIMESTAMPNS), before this process does any work on it, and
// the viewer matches the stamp to the packet it later reads by SSRC and
// sequence number, which SRTP leaves in the clear.

// arrivalSlots is how many recent packets an arrivalTable remembers (16
// bytes each, per viewer): about four seconds of a 1.5 Mbit/s stream. A
// reader further behind its socket than that finds no stamp.
const arrivalSlots = 1024

// arrivalTable holds the kernel's receive time (Unix ns) of the last
// arrivalSlots RTP packets of one viewer's connection.
type arrivalTable struct {
	mu    sync.Mutex
	slots [arrivalSlots]arrivalSlot
}

type arrivalSlot struct {
	ssrc uint32
	seq  uint16
	ns   int64
}

// note records datagram b's receive time if b is RTP (not RTCP, STUN or
// DTLS; RFC 7983 and RFC 5761 demultiplexing).
func (t *arrivalTable) note(b []byte, ns int64) {
	if len(b) < 12 || b[0] < 128 || b[0] > 191 || (b[1] >= 192 && b[1] <= 223) {
		return
	}
	seq := uint16(b[2])<<8 | uint16(b[3])
	ssrc := uint32(b[8])<<24 | uint32(b[9])<<16 | uint32(b[10])<<8 | uint32(b[11])
	t.mu.Lock()
	t.slots[seq%arrivalSlots] = arrivalSlot{ssrc: ssrc, seq: seq, ns: ns}
	t.mu.Unlock()
}

// get returns the receive time of packet (ssrc, seq), if still held. A
// retransmission replaces the original's time, as it replaced the packet.
func (t *arrivalTable) get(ssrc uint32, seq uint16) (int64, bool) {
	t.mu.Lock()
	s := t.slots[seq%arrivalSlots]
	t.mu.Unlock()
	if s.ns == 0 || s.ssrc != ssrc || s.seq != seq {
		return 0, false
	}
	return s.ns, true
}

// arrivalNet is the network a viewer's WebRTC stack listens on: the
// system's, with receive timestamps on its UDP sockets.
type arrivalNet struct {
	transport.Net
	table *arrivalTable
}

// newArrivalNet returns the system network with t stamping its UDP sockets.
func newArrivalNet(t *arrivalTable) (*arrivalNet, error) {
	n, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	return &arrivalNet{Net: n, table: t}, nil
}

// ListenUDP opens a socket whose datagrams carry the kernel's receive
// time. Where the kernel cannot stamp, the socket is returned as is.
func (n *arrivalNet) ListenUDP(network string, laddr *net.UDPAddr) (transport.UDPConn, error) {
	c, err := n.Net.ListenUDP(network, laddr)
	if err != nil {
		return nil, err
	}
	u, ok := c.(*net.UDPConn)
	if !ok || enableRxStamps(u) != nil {
		return c, nil
	}
	return &stampConn{UDPConn: u, table: n.table}, nil
}

// stampConn reads through recvmsg to get each datagram's receive time.
// It has no ReadFromAddrPort, so Pion's ICE reads it through ReadFrom.
type stampConn struct {
	*net.UDPConn
	table *arrivalTable
	mu    sync.Mutex // guards oob; ICE reads a candidate's socket from one goroutine
	oob   [128]byte
}

// ReadFrom reads one datagram and notes its receive time.
func (c *stampConn) ReadFrom(b []byte) (int, net.Addr, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, oobn, _, ap, err := c.UDPConn.ReadMsgUDPAddrPort(b, c.oob[:])
	if err != nil {
		return n, nil, err
	}
	if ns, ok := rxStamp(c.oob[:oobn]); ok {
		c.table.note(b[:n], ns)
	}
	return n, net.UDPAddrFromAddrPort(ap), nil
}
