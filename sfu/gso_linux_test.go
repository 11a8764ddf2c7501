package sfu

import (
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

// TestGSOMessages checks how a batch is cut into GSO messages.
func TestGSOMessages(t *testing.T) {
	a := netip.MustParseAddrPort("127.0.0.1:1000")
	b := netip.MustParseAddrPort("127.0.0.1:2000")
	type dg struct {
		dst  netip.AddrPort
		size int
	}
	type msg struct {
		dst  netip.AddrPort
		segs int
		seg  int // UDP_SEGMENT size, 0 for none
	}
	many := make([]dg, 70)
	for i := range many {
		many[i] = dg{a, 1000}
	}
	for _, tc := range []struct {
		name string
		in   []dg
		want []msg
	}{
		{"one datagram", []dg{{a, 500}}, []msg{{a, 1, 0}}},
		{"interleaved destinations are grouped in order of first use",
			[]dg{{a, 1000}, {b, 1000}, {a, 1000}, {b, 1000}, {a, 400}, {b, 1000}},
			[]msg{{a, 3, 1000}, {b, 3, 1000}}},
		{"a longer datagram after a short one starts a new run",
			[]dg{{a, 1000}, {a, 300}, {a, 1000}, {a, 1000}},
			[]msg{{a, 2, 1000}, {a, 2, 1000}}},
		{"a larger first datagram is followed by a run of smaller ones",
			[]dg{{a, 1000}, {a, 900}, {a, 900}},
			[]msg{{a, 2, 1000}, {a, 1, 0}}},
		{"at most maxGSOSegments and maxGSOBytes per message", many,
			[]msg{{a, min(maxGSOSegments, maxGSOBytes/1000), 1000}, {a, 70 - min(maxGSOSegments, maxGSOBytes/1000), 1000}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bt := newBatch()
			for i, d := range tc.in {
				bt.dsts[i], bt.lens[i] = d.dst, uint16(d.size)
				bt.bufs[i][0] = byte(i)
			}
			bt.n = len(tc.in)
			ms := bt.gsoMessages()
			if len(ms) != len(tc.want) {
				t.Fatalf("%d messages, want %d", len(ms), len(tc.want))
			}
			next := map[netip.AddrPort]int{}
			for i, m := range ms {
				dst := m.Addr.(*net.UDPAddr).AddrPort()
				seg := 0
				if len(m.OOB) > 0 {
					cm, err := unix.ParseSocketControlMessage(m.OOB)
					if err != nil || len(cm) != 1 || cm[0].Header.Level != unix.SOL_UDP || cm[0].Header.Type != unix.UDP_SEGMENT {
						t.Fatalf("message %d: bad control message %x (%v)", i, m.OOB, err)
					}
					seg = int(binary.NativeEndian.Uint16(cm[0].Data))
				}
				if got := (msg{dst, len(m.Buffers), seg}); got != tc.want[i] {
					t.Errorf("message %d = %+v, want %+v", i, got, tc.want[i])
				}
				// Each destination's datagrams keep their order.
				for _, buf := range m.Buffers {
					idx := int(buf[0])
					if idx < next[dst] || tc.in[idx].dst != dst || len(buf) != tc.in[idx].size {
						t.Errorf("message %d carries datagram %d out of order or to the wrong place", i, idx)
					}
					next[dst] = idx + 1
				}
			}
		})
	}
}

// FuzzGSOMessages holds gsoMessages to UDP_SEGMENT's rules for any batch:
// every datagram sent exactly once, to its destination, in its
// destination's order; in a message all segments but the last have the
// segment size and the last is no longer; at most maxGSOSegments and
// maxGSOBytes per message.
func FuzzGSOMessages(f *testing.F) {
	f.Add([]byte{0, 10, 1, 10, 0, 10, 0, 3, 0, 10})
	f.Add([]byte{2, 200, 2, 200, 2, 1, 2, 200, 3, 7})
	f.Fuzz(func(t *testing.T, in []byte) {
		bt := newBatch()
		for i := 0; i+1 < len(in) && bt.n < maxBatch; i += 2 {
			j := bt.n
			bt.dsts[j] = netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), 1000+uint16(in[i]%4))
			bt.lens[j] = uint16(2 + int(in[i+1])*5) // 2..1277 bytes
			binary.BigEndian.PutUint16(bt.bufs[j][:], uint16(j))
			bt.n++
		}
		seen := make([]bool, bt.n)
		last := map[netip.AddrPort]int{}
		for k, m := range bt.gsoMessages() {
			dst := m.Addr.(*net.UDPAddr).AddrPort()
			size, total := len(m.Buffers[0]), 0
			if len(m.Buffers) > maxGSOSegments {
				t.Fatalf("message %d: %d segments", k, len(m.Buffers))
			}
			if (len(m.Buffers) > 1) != (len(m.OOB) > 0) {
				t.Fatalf("message %d: %d segments with control message %x", k, len(m.Buffers), m.OOB)
			}
			for x, buf := range m.Buffers {
				i := int(binary.BigEndian.Uint16(buf))
				total += len(buf)
				switch {
				case seen[i]:
					t.Fatalf("datagram %d sent twice", i)
				case bt.dsts[i] != dst || len(buf) != int(bt.lens[i]):
					t.Fatalf("datagram %d sent to %v with %d bytes", i, dst, len(buf))
				case x < len(m.Buffers)-1 && len(buf) != size, len(buf) > size:
					t.Fatalf("message %d: segment %d has %d bytes, segment size %d", k, x, len(buf), size)
				}
				if p, ok := last[dst]; ok && i < p {
					t.Fatalf("datagram %d to %v sent after %d", i, dst, p)
				}
				seen[i], last[dst] = true, i
			}
			if len(m.Buffers) > 1 && total > maxGSOBytes {
				t.Fatalf("message %d: %d bytes", k, total)
			}
		}
		for i, ok := range seen {
			if !ok {
				t.Fatalf("datagram %d never sent", i)
			}
		}
	})
}
