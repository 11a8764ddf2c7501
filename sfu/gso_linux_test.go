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
