package loadtest

import (
	"net"
	"runtime"
	"testing"
	"time"
)

// rtpHeader is a 12-byte RTP header (version 2) with the given payload
// type byte, sequence number and SSRC.
func rtpHeader(pt byte, seq uint16, ssrc uint32) []byte {
	return []byte{0x80, pt, byte(seq >> 8), byte(seq), 0, 0, 0, 0,
		byte(ssrc >> 24), byte(ssrc >> 16), byte(ssrc >> 8), byte(ssrc)}
}

func TestArrivalTableNotesRTPOnly(t *testing.T) {
	cases := []struct {
		name  string
		b     []byte
		noted bool
	}{
		{"video RTP", rtpHeader(102, 7, 0xabc), true},
		{"RTP with marker", rtpHeader(0x80|102, 7, 0xabc), true},
		{"RTCP sender report", rtpHeader(200, 7, 0xabc), false},
		{"RTCP feedback", rtpHeader(205, 7, 0xabc), false},
		{"STUN", append([]byte{0x00, 0x01}, make([]byte, 18)...), false},
		{"DTLS", append([]byte{22, 0xfe}, make([]byte, 18)...), false},
		{"short", []byte{0x80, 102, 0, 7}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := &arrivalTable{}
			tb.note(c.b, 1234)
			if len(c.b) < 12 {
				return
			}
			_, ok := tb.get(0xabc, 7)
			if ok != c.noted {
				t.Fatalf("noted = %v, want %v", ok, c.noted)
			}
		})
	}
}

func TestArrivalTableMatchesSSRCAndSeq(t *testing.T) {
	tb := &arrivalTable{}
	tb.note(rtpHeader(102, 5, 1), 100)
	tb.note(rtpHeader(111, 6, 2), 200)
	if ns, ok := tb.get(1, 5); !ok || ns != 100 {
		t.Fatalf("get(1, 5) = %d, %v", ns, ok)
	}
	if _, ok := tb.get(2, 5); ok {
		t.Fatal("another SSRC's packet matched")
	}
	// A packet arrivalSlots later takes the slot: the old one is gone, not
	// mistaken for the new one.
	tb.note(rtpHeader(102, 5+arrivalSlots, 1), 300)
	if _, ok := tb.get(1, 5); ok {
		t.Fatal("an overwritten packet matched")
	}
	if ns, ok := tb.get(1, 5+arrivalSlots); !ok || ns != 300 {
		t.Fatalf("get(1, %d) = %d, %v", 5+arrivalSlots, ns, ok)
	}
}

func TestStampConnRecordsTheKernelsReceiveTime(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("receive timestamps are Linux-only")
	}
	tb := &arrivalTable{}
	n, err := newArrivalNet(tb)
	if err != nil {
		t.Fatal(err)
	}
	c, err := n.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.(*stampConn); !ok {
		t.Fatalf("socket is %T, not stamping", c)
	}
	out, err := net.DialUDP("udp4", nil, c.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	before := time.Now().UnixNano()
	pkt := append(rtpHeader(102, 42, 0xfeed), []byte("payload")...)
	if _, err := out.Write(pkt); err != nil {
		t.Fatal(err)
	}
	if _, err := out.Write(rtpHeader(200, 43, 0xfeed)); err != nil { // RTCP
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for i := 0; i < 2; i++ {
		m, from, err := c.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		if from.String() != out.LocalAddr().String() {
			t.Fatalf("from %v, want %v", from, out.LocalAddr())
		}
		if i == 0 && string(buf[:m]) != string(pkt) {
			t.Fatalf("read %q, want %q", buf[:m], pkt)
		}
	}
	after := time.Now().UnixNano()
	ns, ok := tb.get(0xfeed, 42)
	if !ok {
		t.Fatal("no receive time for the RTP packet")
	}
	if ns < before-int64(time.Second) || ns > after {
		t.Fatalf("receive time %d outside [%d, %d]", ns, before, after)
	}
	if _, ok := tb.get(0xfeed, 43); ok {
		t.Fatal("RTCP was noted")
	}
}
