package sfu

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// TestRelaysFromOneOriginKeepApart: an edge relaying two rooms (or two
// layers) from the same origin opens two peers between the same two nodes;
// each takes a port of its own, so neither node mixes their packets up and
// both rooms' viewers receive every packet.
func TestRelaysFromOneOriginKeepApart(t *testing.T) {
	origin, ohs, _ := newTestServer(t, nil)
	edge, ehs, _ := newTestServer(t, nil)
	origin.SetCluster(&fakeCluster{}, 0)
	ec := &fakeCluster{}
	ec.set(ohs.URL)
	edge.SetCluster(ec, time.Minute)
	var viewers []*fakeViewer
	for _, room := range []string{"room1", "room2"} {
		pub, _ := publishWHIP(t, ohs.URL, room, webrtc.MimeTypeH264)
		defer pub.close()
		pub.start(30)
		v, _ := viewWHEP(t, ehs.URL, room, nil)
		defer v.close()
		viewers = append(viewers, v)
	}
	for _, v := range viewers {
		waitFor(t, 10*time.Second, "media in both rooms", func() bool { return v.packets.Load() >= 150 })
	}
	if l := edge.MediaLoad(); l.Relays != 2 {
		t.Fatalf("edge load %+v, want 2 relays", l)
	}
	for i, v := range viewers {
		v.close()
		checkSwitches(t, []string{"room1", "room2"}[i], v, 30)
	}
}

// TestRelayedLayersKeepNACKAndPLIRules: with several layers relayed, an
// edge viewer on a lossy link gets every lost packet again from the edge's
// own ring (the origin sees no NACK), and a storm of keyframe requests from
// edge viewers reaches the publisher throttled (Config.PLIInterval per
// layer, on the edge and again on the origin).
func TestRelayedLayersKeepNACKAndPLIRules(t *testing.T) {
	origin, ohs, _ := newTestServer(t, nil)
	// The viewer's estimate stays unknown (the top layer) however lossy
	// its link: this test is about recovering the losses.
	edge, ehs, _ := newTestServer(t, func(c *Config) {
		c.NewEstimator = func() BandwidthEstimator { return &fakeEstimator{} }
	})
	origin.SetCluster(&fakeCluster{}, 0)
	ec := &fakeCluster{}
	ec.set(ohs.URL)
	edge.SetCluster(ec, time.Minute)
	pub, _ := publishWHIP(t, ohs.URL, "room1", webrtc.MimeTypeVP8, "q", "f")
	defer pub.close()
	pub.start(1000)
	waitFor(t, 10*time.Second, "two layers", func() bool { return len(layerRates(origin, "room1")) == 2 })

	drop := &dropFactory{every: 10}
	v, _ := viewWHEP(t, ehs.URL, "room1", drop)
	defer v.close()
	waitFor(t, 10*time.Second, "the top layer, relayed in a session of its own", func() bool {
		return v.lastLayer() == 2 && origin.MediaLoad().Viewers == 2
	})
	waitFor(t, 10*time.Second, "losses on the viewer's link", func() bool { return drop.dropped.Load() >= 20 })

	// A storm of keyframe requests from the viewer.
	layerF := func(srv *Server) (asks, sent uint64) {
		for _, rs := range srv.Stats() {
			for _, tr := range rs.Publisher.Tracks {
				if tr.RID == "f" {
					return tr.KeyframeAsks, tr.PLIsSent
				}
			}
		}
		return 0, 0
	}
	ssrc := uint32(v.pc.GetReceivers()[0].Track().SSRC())
	edgeAsks0, edgeSent0 := layerF(edge)
	_, originSent0 := layerF(origin)
	start := time.Now()
	for range 40 {
		if err := v.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}); err != nil {
			t.Fatal(err)
		}
	}
	n := v.packets.Load()
	waitFor(t, 5*time.Second, "more media", func() bool { return v.packets.Load() > n+90 })
	// At most one request per 500 ms for the layer on the edge, and again
	// on the origin, plus the throttle's one deferred request; none when a
	// keyframe already on its way answers them.
	most := uint64(time.Since(start)/(500*time.Millisecond)) + 2
	edgeAsks, edgeSent := layerF(edge)
	_, originSent := layerF(origin)
	if edgeAsks-edgeAsks0 < 40 || edgeSent-edgeSent0 > most || originSent-originSent0 > most {
		t.Errorf("the edge's f layer was asked %d times, asked the origin %d times, which asked the publisher %d times; want 40+, at most %d, at most %d",
			edgeAsks-edgeAsks0, edgeSent-edgeSent0, originSent-originSent0, most, most)
	}
	// The edge's ring answers the viewer's NACKs; the origin hears only
	// of what the relay link itself lost.
	var edgeRTX, edgeSkips, relayLost, originNACKs uint64
	edgeStats := edge.Stats()
	for _, rs := range edgeStats {
		for _, ss := range rs.Subscribers {
			for _, tr := range ss.Tracks {
				edgeRTX += tr.Retransmitted
				edgeSkips += tr.SlowWrites + tr.Dropped
			}
		}
		for _, tr := range rs.Publisher.Tracks {
			relayLost += tr.Lost
		}
	}
	for _, rs := range origin.Stats() {
		for _, ss := range rs.Subscribers {
			for _, tr := range ss.Tracks {
				originNACKs += tr.NACKs
			}
		}
	}
	defer func() {
		if t.Failed() {
			for _, rs := range edgeStats {
				t.Logf("edge stats: %+v", rs.Subscribers)
				for _, tr := range rs.Publisher.Tracks {
					t.Logf("edge relayed %+v", tr)
				}
			}
			t.Logf("dropped on the viewer's link: %d", drop.dropped.Load())
		}
	}()
	if edgeRTX == 0 || relayLost == 0 && originNACKs != 0 {
		t.Errorf("edge retransmitted %d packets, origin got %d NACKs (relay link lost %d); want the edge's ring to answer the viewer",
			edgeRTX, originNACKs, relayLost)
	}
	v.close()
	// Every packet of the relayed top layer arrived, but for the last
	// second's. (A packet of the low layer lost just before the switch is
	// not sent again: the viewer starts afresh from the top layer's
	// keyframe.)
	top := &fakeViewer{}
	v.mu.Lock()
	keys := map[int]bool{}
	for _, k := range v.keyAt {
		keys[k] = true
	}
	for i := range v.seqs {
		if v.layers[i] == 2 {
			if keys[i] {
				top.keyAt = append(top.keyAt, len(top.seqs))
			}
			top.seqs, top.layers = append(top.seqs, v.seqs[i]), append(top.layers, 2)
		}
	}
	v.mu.Unlock()
	if edgeSkips > 0 {
		// An overloaded machine made the edge skip this viewer to a
		// keyframe; a loss just before that is not sent again.
		t.Logf("the edge skipped %d packets of the viewer; not checking for holes", edgeSkips)
		return
	}
	checkSwitches(t, "lossy viewer", top, 90)
}
