package sfu

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// stampViewer records when each numbered packet arrives (the number is
// written into the payload by the publisher loop of BenchmarkRelayHop).
type stampViewer struct {
	pc *webrtc.PeerConnection
	mu sync.Mutex
	at map[uint64]time.Time
}

func newStampViewer(b *testing.B) *stampViewer {
	v := &stampViewer{at: map[uint64]time.Time{}}
	pc, err := clientAPI(b, nil).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		b.Fatal(err)
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		buf := make([]byte, 1500)
		for {
			n, _, err := tr.Read(buf)
			if err != nil {
				return
			}
			now := time.Now()
			var p rtp.Packet
			if p.Unmarshal(buf[:n]) != nil || len(p.Payload) < 12 {
				continue
			}
			v.mu.Lock()
			v.at[binary.BigEndian.Uint64(p.Payload[4:12])] = now
			v.mu.Unlock()
		}
	})
	v.pc = pc
	return v
}

// BenchmarkRelayHop measures the latency one relay hop adds: one publisher
// on the origin, one viewer there and one on an edge that relays the room
// (all on loopback in this process, one clock); each packet's arrival at
// the edge viewer minus its arrival at the origin viewer. Reported as
// hop-p50-ms and hop-p99-ms; b.N is not used (one 5 s run at 30 fps, three
// packets a frame).
func BenchmarkRelayHop(b *testing.B) {
	origin, ohs, _ := newTestServer(b, nil)
	edge, ehs, _ := newTestServer(b, nil)
	origin.SetCluster(&fakeCluster{}, 0)
	ec := &fakeCluster{}
	ec.set(ohs.URL)
	edge.SetCluster(ec, 0)

	pub := newFakePublisher(b, clientAPI(b, nil), webrtc.MimeTypeVP8)
	defer pub.close()
	code, _, body := post(b, ohs.URL+"/whip/room1", "pub-secret", "application/sdp", localOffer(b, pub.pc))
	if code != 201 {
		b.Fatalf("WHIP: %d %s", code, body)
	}
	setAnswer(b, pub.pc, body)

	// The publisher loop: every frame a keyframe of three packets, each
	// numbered.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(33 * time.Millisecond)
		defer tick.Stop()
		var seq uint16
		var num uint64
		for f := 0; ; f++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			for _, pl := range synthFrame(webrtc.MimeTypeVP8, true, 0, 900) {
				num++
				binary.BigEndian.PutUint64(pl[4:12], num)
				pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(f) * 3000}, Payload: pl}
				seq++
				_ = pub.layers[0].track.WriteRTP(pkt)
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	view := func(base string) *stampViewer {
		v := newStampViewer(b)
		code, _, body := post(b, base+"/whep/room1", "", "application/sdp", localOffer(b, v.pc))
		if code != 201 {
			b.Fatalf("WHEP %s: %d %s", base, code, body)
		}
		setAnswer(b, v.pc, body)
		b.Cleanup(func() { _ = v.pc.Close() })
		return v
	}
	vo, ve := view(ohs.URL), view(ehs.URL)
	waitFor(b, 10*time.Second, "media at both viewers", func() bool {
		vo.mu.Lock()
		ve.mu.Lock()
		defer vo.mu.Unlock()
		defer ve.mu.Unlock()
		return len(vo.at) > 30 && len(ve.at) > 30
	})
	b.ResetTimer()
	time.Sleep(5 * time.Second) // the measured window: packets flow at their own pace
	b.StopTimer()

	vo.mu.Lock()
	ve.mu.Lock()
	var hops []time.Duration
	for n, te := range ve.at {
		if to, ok := vo.at[n]; ok {
			hops = append(hops, te.Sub(to))
		}
	}
	ve.mu.Unlock()
	vo.mu.Unlock()
	if len(hops) < 100 {
		b.Fatalf("only %d packets reached both viewers", len(hops))
	}
	sort.Slice(hops, func(i, j int) bool { return hops[i] < hops[j] })
	q := func(p float64) float64 {
		return float64(hops[int(p*float64(len(hops)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.5), "hop-p50-ms")
	b.ReportMetric(q(0.99), "hop-p99-ms")
	b.ReportMetric(float64(len(hops)), "packets")
	_ = edge
}

// BenchmarkRelayLayerCost measures what one more relayed simulcast layer
// costs: a three-layer VP8 publisher (30 fps, 3 packets a frame of 300,
// 600 and 900 bytes) on an origin, an edge relaying the room to three
// viewers whose estimates make it carry one, two, then three layers; for
// each, the CPU the whole process (origin, edge, peers) uses per second
// over a 3 s window (cpu-ms/s-<n>layers), and the bitrate the origin sends
// to the edge (origin-kbps-<n>layers). b.N is not used.
func BenchmarkRelayLayerCost(b *testing.B) {
	stats := func(c *Config) { c.StatsInterval = 500 * time.Millisecond }
	origin, ohs, _ := newTestServer(b, stats)
	ests := []*fakeEstimator{{}, {}, {}}
	var mu sync.Mutex
	next := 0
	edge, ehs, _ := newTestServer(b, func(c *Config) {
		stats(c)
		c.NewEstimator = func() BandwidthEstimator {
			mu.Lock()
			defer mu.Unlock()
			next++
			if next > len(ests) {
				return &fakeEstimator{}
			}
			return ests[next-1]
		}
	})
	origin.SetCluster(&fakeCluster{}, 0)
	ec := &fakeCluster{}
	ec.set(ohs.URL)
	edge.SetCluster(ec, 300*time.Millisecond)

	pub := newFakePublisher(b, clientAPI(b, nil), webrtc.MimeTypeVP8, "q", "h", "f")
	defer pub.close()
	code, _, body := post(b, ohs.URL+"/whip/room1", "pub-secret", "application/sdp", localOffer(b, pub.pc))
	if code != 201 {
		b.Fatalf("WHIP: %d %s", code, body)
	}
	setAnswer(b, pub.pc, body)
	pub.start(60)
	waitFor(b, 10*time.Second, "three measured layers", func() bool {
		r := layerRates(origin, "room1")
		return len(r) == 3 && r[0] > 0 && r[1] > r[0] && r[2] > r[1]
	})
	r := layerRates(origin, "room1")
	low, mid := uint64(1), uint64(float64(r[1]+r[2])/2/0.85)
	for _, e := range ests {
		e.bps.Store(low)
	}
	for range ests {
		v := newFakeViewer(b, clientAPI(b, nil))
		code, _, body := post(b, ehs.URL+"/whep/room1", "", "application/sdp", localOffer(b, v.pc))
		if code != 201 {
			b.Fatalf("WHEP: %d %s", code, body)
		}
		setAnswer(b, v.pc, body)
		b.Cleanup(v.close)
	}
	originSends := func() uint64 {
		var bps uint64
		for _, rs := range origin.Stats() {
			for _, ss := range rs.Subscribers {
				for _, tr := range ss.Tracks {
					bps += tr.BitrateBps
				}
			}
		}
		return bps
	}
	b.ResetTimer()
	for _, step := range []struct {
		estimates []uint64
		layers    []string
	}{
		{[]uint64{low, low, low}, []string{"q"}},
		{[]uint64{low, low, 0}, []string{"f", "q"}},
		{[]uint64{low, mid, 0}, []string{"f", "h", "q"}},
	} {
		for i, e := range step.estimates {
			ests[i].bps.Store(e)
		}
		waitFor(b, 10*time.Second, fmt.Sprint("the edge to carry ", step.layers), func() bool {
			return slices.Equal(roomLayers(edge, "room1"), step.layers) && origin.MediaLoad().Viewers == len(step.layers)
		})
		time.Sleep(time.Second) // switches and bitrates settle
		cpu0, t0 := processCPU(), time.Now()
		time.Sleep(3 * time.Second) // the measured window: media flows at its own pace
		cpu, wall := processCPU()-cpu0, time.Since(t0)
		n := len(step.layers)
		b.ReportMetric(float64(cpu.Microseconds())/1000/wall.Seconds(), fmt.Sprintf("cpu-ms/s-%dlayers", n))
		b.ReportMetric(float64(originSends())/1000, fmt.Sprintf("origin-kbps-%dlayers", n))
	}
}

// processCPU returns the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
