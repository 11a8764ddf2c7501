package sfu

import (
	"bytes"
	"encoding/binary"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
)

// rtpDatagram is a fake SRTP datagram: an RTP header (what batchConn
// routes on) and a payload of size bytes that names its SSRC and number.
func rtpDatagram(ssrc uint32, seq uint16, size int) []byte {
	b := make([]byte, 12+size)
	b[0], b[1] = 0x80, 96
	binary.BigEndian.PutUint16(b[2:], seq)
	binary.BigEndian.PutUint32(b[8:], ssrc)
	for i := 12; i < len(b); i++ {
		b[i] = byte(int(seq) + i + int(ssrc))
	}
	return b
}

func listenLoopback(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// frameSizes are the datagram sizes of one "frame" to each viewer: equal
// runs, a short last packet, and a longer packet after a short one (which
// must start a new GSO run).
var frameSizes = []int{1100, 1100, 1100, 1100, 700, 1100, 1100, 90, 1100}

// sendFrames writes frames datagrams to every receiver through c in writer
// scopes, as the writers do, and returns what each receiver must get.
func sendFrames(t *testing.T, c *batchConn, rx []*net.UDPConn) [][][]byte {
	t.Helper()
	want := make([][][]byte, len(rx))
	for v := range rx {
		c.register(uint32(100+v), v%len(c.writers))
	}
	for w := range c.writers {
		c.begin(w)
	}
	for k, size := range frameSizes {
		for v, r := range rx {
			d := rtpDatagram(uint32(100+v), uint16(k), size)
			want[v] = append(want[v], d)
			if _, err := c.WriteToAddrPort(d, r.LocalAddr().(*net.UDPAddr).AddrPort()); err != nil {
				t.Fatal(err)
			}
		}
	}
	for w := range c.writers {
		c.end(w)
	}
	return want
}

func expectDatagrams(t *testing.T, rx []*net.UDPConn, want [][][]byte) {
	t.Helper()
	buf := make([]byte, 2048)
	for v, r := range rx {
		for k, w := range want[v] {
			_ = r.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, err := r.Read(buf)
			if err != nil {
				t.Fatalf("viewer %d datagram %d: %v", v, k, err)
			}
			if !bytes.Equal(buf[:n], w) {
				t.Fatalf("viewer %d datagram %d: got %d bytes (seq %d), want %d bytes (seq %d)",
					v, k, n, binary.BigEndian.Uint16(buf[2:]), len(w), k)
			}
		}
	}
}

// TestBatchConnDelivers checks that every viewer receives its datagrams
// whole and in order, with and without UDP GSO.
func TestBatchConnDelivers(t *testing.T) {
	for _, gso := range []bool{false, true} {
		t.Run(map[bool]string{false: "sendmmsg", true: "gso"}[gso], func(t *testing.T) {
			if gso && !gsoSupported(listenLoopback(t)) {
				t.Skip("kernel without UDP GSO")
			}
			c := newBatchConn(listenLoopback(t), 2, gso)
			rx := make([]*net.UDPConn, 5)
			for i := range rx {
				rx[i] = listenLoopback(t)
			}
			want := sendFrames(t, c, rx)
			expectDatagrams(t, rx, want)
			if c.gso.Load() != gso {
				t.Fatalf("gso in use = %v after sending, want %v", c.gso.Load(), gso)
			}
		})
	}
}

// TestBatchConnGSOFallback makes the kernel's answer to a GSO send an
// error: the batch must still arrive, one datagram per call, and GSO must
// stay off afterwards.
func TestBatchConnGSOFallback(t *testing.T) {
	c := newBatchConn(listenLoopback(t), 1, true)
	c.gso.Store(true) // as if the probe had succeeded
	refused := 0
	real := c.writeBatch
	c.writeBatch = func(ms []ipv4.Message, flags int) (int, error) {
		for _, m := range ms {
			if len(m.OOB) > 0 {
				refused++
				return 0, syscall.EIO
			}
		}
		return real(ms, flags)
	}
	rx := []*net.UDPConn{listenLoopback(t), listenLoopback(t)}
	want := sendFrames(t, c, rx)
	expectDatagrams(t, rx, want)
	if refused == 0 || c.gso.Load() {
		t.Fatalf("refused %d GSO sends, gso still on = %v; want a refusal and GSO off", refused, c.gso.Load())
	}
	// The next batch goes without GSO and still arrives.
	want = sendFrames(t, c, rx)
	expectDatagrams(t, rx, want)
}

// TestBatchConnDualStack: a dual-stack IPv6 socket (ICEUDPAddr ":port")
// batches too, to IPv4 and IPv6 viewers alike, with and without GSO.
func TestBatchConnDualStack(t *testing.T) {
	for _, gso := range []bool{false, true} {
		t.Run(map[bool]string{false: "sendmmsg", true: "gso"}[gso], func(t *testing.T) {
			conn, err := net.ListenUDP("udp", &net.UDPAddr{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = conn.Close() })
			if conn.LocalAddr().(*net.UDPAddr).IP.To4() != nil {
				t.Skip("no dual-stack socket here")
			}
			c := newBatchConn(conn, 2, gso)
			if !c.batching() {
				t.Skipf("no batching on %s", runtime.GOOS)
			}
			rx := []*net.UDPConn{listenLoopback(t), listenLoopback(t)}
			if r6, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback}); err == nil {
				t.Cleanup(func() { _ = r6.Close() })
				rx = append(rx, r6)
			}
			want := sendFrames(t, c, rx)
			expectDatagrams(t, rx, want)
			if !c.batching() || c.writers[0].queued.Load() == 0 {
				t.Fatalf("batching on = %v, %d datagrams batched; want batching", c.batching(), c.writers[0].queued.Load())
			}
			t.Logf("%d receivers (the third is IPv6, if any)", len(rx))
		})
	}
}

// TestBatchConnDualStackRefused: where an IPv6 socket refuses a batch,
// batching turns off for good and every datagram still arrives.
func TestBatchConnDualStackRefused(t *testing.T) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	c := newBatchConn(conn, 1, false)
	if !c.v6 || !c.batching() {
		t.Skip("no batching dual-stack socket here")
	}
	c.writeBatch = func([]ipv4.Message, int) (int, error) { return 0, syscall.EAFNOSUPPORT }
	rx := []*net.UDPConn{listenLoopback(t)}
	expectDatagrams(t, rx, sendFrames(t, c, rx))
	if c.batching() {
		t.Fatal("batching still on after the socket refused a batch")
	}
	expectDatagrams(t, rx, sendFrames(t, c, rx))
}

// copySealer "seals" a prepared datagram by copying it into the slot.
type copySealer struct{ d []byte }

func (s copySealer) seal(buf []byte) (int, error) { return copy(buf, s.d), nil }

// TestBatchConnSealedInOrder mixes datagrams sealed in place into a batch
// (the direct SRTP path) with copied ones (Pion's path): a viewer gets them
// whole and in the order written. Outside a writer's scope nothing is
// sealed into a batch.
func TestBatchConnSealedInOrder(t *testing.T) {
	c := newBatchConn(listenLoopback(t), 1, gsoSupported(listenLoopback(t)))
	r := listenLoopback(t)
	dst := r.LocalAddr().(*net.UDPAddr).AddrPort()
	c.register(100, 0)
	if ok, _ := c.appendSealed(0, dst, copySealer{rtpDatagram(100, 0, 10)}); ok {
		t.Fatal("sealed into a batch outside the writer's scope")
	}
	var want [][]byte
	c.begin(0)
	for k, size := range frameSizes {
		d := rtpDatagram(100, uint16(k), size)
		want = append(want, d)
		if k%2 == 0 {
			if ok, err := c.appendSealed(0, dst, copySealer{d}); !ok || err != nil {
				t.Fatalf("appendSealed: %v %v", ok, err)
			}
		} else if _, err := c.WriteToAddrPort(d, dst); err != nil {
			t.Fatal(err)
		}
	}
	c.end(0)
	expectDatagrams(t, []*net.UDPConn{r}, [][][]byte{want})
}
