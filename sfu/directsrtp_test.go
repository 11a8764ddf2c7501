package sfu

import (
	"bytes"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/pion/webrtc/v4"
)

// viewerDowns returns the down tracks of the server's viewer sessions.
func viewerDowns(srv *Server) []*downTrack {
	srv.mu.Lock()
	var viewers []*session
	for _, s := range srv.sessions {
		if !s.publish {
			viewers = append(viewers, s)
		}
	}
	srv.mu.Unlock()
	var out []*downTrack
	for _, s := range viewers {
		out = append(out, s.downTracks()...)
	}
	return out
}

// TestDirectSRTPInUse checks that a UDP viewer's packets take the direct
// path (keyed from the DTLS connection through Pion's unexported field,
// which a Pion upgrade could rename) and that the viewer, a Pion peer,
// decrypts them; with DisableDirectSRTP they take Pion's chain.
func TestDirectSRTPInUse(t *testing.T) {
	for _, disabled := range []bool{false, true} {
		t.Run(map[bool]string{false: "direct", true: "disabled"}[disabled], func(t *testing.T) {
			srv, hs, _ := newTestServer(t, func(c *Config) { c.DisableDirectSRTP = disabled })
			pub, _ := publishWHIP(t, hs.URL, "room1", webrtc.MimeTypeH264)
			defer pub.close()
			pub.start(30)
			v, _ := viewWHEP(t, hs.URL, "room1", nil)
			defer v.close()
			waitFor(t, 10*time.Second, "100 packets", func() bool { return v.packets.Load() >= 100 })
			downs := viewerDowns(srv)
			if len(downs) != 1 {
				t.Fatalf("%d viewer tracks, want 1", len(downs))
			}
			if got := downs[0].direct.Load() != nil; got == disabled {
				t.Fatalf("direct path in use: %v, want %v", got, !disabled)
			}
			v.mu.Lock()
			defer v.mu.Unlock()
			for j := 1; j < len(v.seqs); j++ {
				if v.seqs[j] != v.seqs[j-1]+1 {
					t.Fatalf("sequence gap %d -> %d", v.seqs[j-1], v.seqs[j])
				}
			}
		})
	}
}

// TestSenderReports checks the SFU's own sender reports: one per second
// for the viewer's track, counting what it sent, with an RTP time that
// matches the stream the viewer receives; the viewer's receiver reports
// echo them, which gives the server the round-trip time.
func TestSenderReports(t *testing.T) {
	srv, hs, _ := newTestServer(t, nil)
	pub, _ := publishWHIP(t, hs.URL, "room1", webrtc.MimeTypeH264)
	defer pub.close()
	pub.start(30)
	v, _ := viewWHEP(t, hs.URL, "room1", nil)
	defer v.close()

	type got struct {
		sr     rtcp.SenderReport
		lastTS uint32 // newest timestamp the viewer had when the report came
		count  int64
	}
	var mu sync.Mutex
	var reports []got
	var wg sync.WaitGroup
	for _, r := range v.pc.GetReceivers() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				pkts, _, err := r.ReadRTCP()
				if err != nil {
					return
				}
				for _, p := range pkts {
					sr, ok := p.(*rtcp.SenderReport)
					if !ok {
						continue
					}
					v.mu.Lock()
					g := got{sr: *sr, count: v.packets.Load()}
					if n := len(v.tss); n > 0 {
						g.lastTS = v.tss[n-1]
					}
					v.mu.Unlock()
					mu.Lock()
					reports = append(reports, g)
					mu.Unlock()
				}
			}
		}()
	}
	waitFor(t, 10*time.Second, "three sender reports after media", func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, g := range reports {
			if g.count > 0 {
				n++
			}
		}
		return n >= 3
	})
	waitFor(t, 10*time.Second, "a round-trip time from the viewer's receiver reports", func() bool {
		for _, r := range srv.Stats() {
			for _, s := range r.Subscribers {
				for _, dt := range s.Tracks {
					if dt.RTT > 0 {
						return true
					}
				}
			}
		}
		return false
	})
	v.close()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	var prev *got
	for i := range reports {
		g := &reports[i]
		if g.count == 0 {
			continue
		}
		if g.sr.PacketCount == 0 || g.sr.OctetCount == 0 {
			t.Errorf("report %d counts nothing: %+v", i, g.sr)
		}
		// The report's RTP time is "now" on the stream's clock: at most a
		// second (90,000 ticks) from the newest packet the viewer holds.
		if d := int32(g.sr.RTPTime - g.lastTS); d < -90000 || d > 90000 {
			t.Errorf("report %d: RTP time %d is %d ticks from the newest packet's %d", i, g.sr.RTPTime, d, g.lastTS)
		}
		if prev != nil {
			if g.sr.PacketCount < prev.sr.PacketCount || g.sr.NTPTime <= prev.sr.NTPTime || int32(g.sr.RTPTime-prev.sr.RTPTime) <= 0 {
				t.Errorf("report %d does not advance: %+v after %+v", i, g.sr, prev.sr)
			}
		}
		prev = g
	}
}

// TestDirectRoute checks which selected ICE pairs the direct path may
// send to: UDP on both sides, to an address (not a name).
func TestDirectRoute(t *testing.T) {
	cand := func(proto webrtc.ICEProtocol, addr string) *webrtc.ICECandidate {
		return &webrtc.ICECandidate{Protocol: proto, Address: addr, Port: 5000}
	}
	udp, tcp := webrtc.ICEProtocolUDP, webrtc.ICEProtocolTCP
	for _, tc := range []struct {
		name string
		pair *webrtc.ICECandidatePair
		want string
	}{
		{"udp", &webrtc.ICECandidatePair{Local: cand(udp, "127.0.0.1"), Remote: cand(udp, "192.0.2.7")}, "192.0.2.7:5000"},
		{"udp6", &webrtc.ICECandidatePair{Local: cand(udp, "::1"), Remote: cand(udp, "2001:db8::7")}, "[2001:db8::7]:5000"},
		{"tcp", &webrtc.ICECandidatePair{Local: cand(tcp, "127.0.0.1"), Remote: cand(tcp, "192.0.2.7")}, ""},
		{"name", &webrtc.ICECandidatePair{Local: cand(udp, "127.0.0.1"), Remote: cand(udp, "x.local")}, ""},
		{"none", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r directRoute
			r.set(&webrtc.ICECandidatePair{Local: cand(udp, "127.0.0.1"), Remote: cand(udp, "198.51.100.1")})
			r.set(tc.pair)
			got := ""
			if d := r.dst.Load(); d != nil {
				got = d.String()
			}
			if got != tc.want {
				t.Fatalf("route %q, want %q", got, tc.want)
			}
		})
	}
}

// BenchmarkDirectSRTPWrite measures one forwarded packet on the direct
// path: marshal and AES-GCM encryption in place in a writer's batch slot,
// with a sendmmsg every 64 packets (the kernel's share included).
func BenchmarkDirectSRTPWrite(b *testing.B) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer rx.Close()
	c := newBatchConn(conn, 1, gsoSupported(conn))
	keys := &sessionKeys{profile: srtp.ProtectionProfileAeadAes128Gcm, key: make([]byte, 16), salt: make([]byte, 12)}
	ctx, err := keys.context()
	if err != nil {
		b.Fatal(err)
	}
	route := &directRoute{}
	dst := rx.LocalAddr().(*net.UDPAddr).AddrPort()
	route.dst.Store(&dst)
	x := &directSRTP{ctx: ctx, route: route}
	h := &rtp.Header{Version: 2, PayloadType: 102, SSRC: 1234}
	payload := make([]byte, 1000)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	c.begin(0)
	for i := 0; i < b.N; i++ {
		h.SequenceNumber++
		if err := x.write(c, 0, h, payload); err != nil {
			b.Fatal(err)
		}
		if i%64 == 63 {
			c.end(0)
			c.begin(0)
		}
	}
	c.end(0)
}

// TestMarshalRTP: the direct path writes packets byte for byte as Pion's
// Packet.Marshal does, padding included, and refuses a short buffer.
func TestMarshalRTP(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    rtp.Header
	}{
		{"plain", rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 7, Timestamp: 9000, SSRC: 42, Marker: true}},
		{"padded", rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: 65535, Timestamp: 1, SSRC: 7,
			Padding: true, PaddingSize: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			payload := []byte{1, 2, 3, 4, 5}
			want, err := (&rtp.Packet{Header: tc.h, Payload: payload}).Marshal()
			if err != nil {
				t.Fatal(err)
			}
			buf := bytes.Repeat([]byte{0xee}, 64) // stale bytes must not leak into padding
			n, err := marshalRTP(buf, &tc.h, payload)
			if err != nil || !bytes.Equal(buf[:n], want) {
				t.Fatalf("marshalRTP = % x, %v; want % x", buf[:n], err, want)
			}
			if _, err := marshalRTP(make([]byte, len(want)-1), &tc.h, payload); err == nil {
				t.Fatal("a buffer one byte short was accepted")
			}
		})
	}
}
