package sfu

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestViewersFollowTheirPublisherAway: a publisher leaves node E, where
// viewers watch, and publishes on node O instead (a seller whose network
// changed, placed elsewhere by the load balancer). E is alive, so its
// viewers hear from it and do not re-offer: E relays the room from O for
// them by itself, and they see video again without re-joining.
func TestViewersFollowTheirPublisherAway(t *testing.T) {
	origin, ohs, _ := newTestServer(t, nil)
	edge, ehs, _ := newTestServer(t, nil)
	origin.SetCluster(&fakeCluster{}, 0)
	ec := &fakeCluster{}
	edge.SetCluster(ec, time.Minute)

	pubE, _ := publishWHIP(t, ehs.URL, "room1", webrtc.MimeTypeH264)
	pubE.start(30)
	v, _ := viewWHEP(t, ehs.URL, "room1", nil)
	defer v.close()
	waitFor(t, 5*time.Second, "media from the publisher on E", func() bool { return v.packets.Load() >= 30 })

	pubE.close()
	waitFor(t, 5*time.Second, "E's publisher to leave", func() bool { return !edge.Live("room1") })
	pubO, _ := publishWHIP(t, ohs.URL, "room1", webrtc.MimeTypeH264)
	defer pubO.close()
	pubO.layers[0].seq = 30000
	pubO.start(30)
	moved := time.Now()
	ec.set(ohs.URL)
	n := v.packets.Load()
	waitFor(t, 10*time.Second, "media from O through a relay E started by itself", func() bool {
		return v.packets.Load() > n+30
	})
	t.Logf("video again %v after the publisher reached O", time.Since(moved).Round(time.Millisecond))
	if l := edge.MediaLoad(); l.Relays != 1 || l.Viewers != 1 {
		t.Fatalf("edge load %+v, want the viewer and one relay", l)
	}
	if l := origin.MediaLoad(); l.Viewers != 1 {
		t.Fatalf("origin load %+v, want the relay as its one viewer", l)
	}
}

// TestSilentPublisherGivesWay: the publisher on E stops sending without
// leaving (its peer stays up, as a vanished phone's does until ICE gives
// up) and the seller publishes on O. E ends the silent session once the
// cluster names O as the origin, and its viewer sees O's video through a
// relay, without re-joining; a publisher that has not sent anything yet
// is left alone.
func TestSilentPublisherGivesWay(t *testing.T) {
	origin, ohs, _ := newTestServer(t, nil)
	edge, ehs, _ := newTestServer(t, nil)
	origin.SetCluster(&fakeCluster{}, 0)
	ec := &fakeCluster{}
	edge.SetCluster(ec, time.Minute)

	pubE, _ := publishWHIP(t, ehs.URL, "room1", webrtc.MimeTypeH264)
	defer pubE.close()
	pubE.start(30)
	v, _ := viewWHEP(t, ehs.URL, "room1", nil)
	defer v.close()
	waitFor(t, 5*time.Second, "media from the publisher on E", func() bool { return v.packets.Load() >= 30 })

	// A publisher that sends nothing (yet) stays, whoever the cluster names.
	quiet, _ := publishWHIP(t, ehs.URL, "room2", webrtc.MimeTypeH264)
	defer quiet.close()

	close(pubE.stop) // silent, its peer up
	pubO, _ := publishWHIP(t, ohs.URL, "room1", webrtc.MimeTypeH264)
	defer pubO.close()
	pubO.layers[0].seq = 30000
	pubO.start(30)
	moved := time.Now()
	ec.set(ohs.URL)
	n := v.packets.Load()
	waitFor(t, 10*time.Second, "media from O through E's relay", func() bool { return v.packets.Load() > n+30 })
	t.Logf("video again %v after the publisher reached O", time.Since(moved).Round(time.Millisecond))
	if l := edge.MediaLoad(); l.Relays != 1 || l.Publishers != 1 || len(l.Origins) != 1 || l.Origins[0] != "room2" {
		t.Fatalf("edge load %+v, want room1 relayed and room2 still published", l)
	}
}
