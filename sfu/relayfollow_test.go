package sfu

import (
	"net/http/httptest"
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
	f := edgeWatching(t)
	origin, edge, v := f.origin, f.edge, f.v
	f.pubE.close()
	waitFor(t, 5*time.Second, "E's publisher to leave", func() bool { return !edge.Live("room1") })
	pubO, moved, n := movePublisher(t, f.ohs.URL, f.ec, v)
	defer pubO.close()
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
	f := edgeWatching(t)
	edge, ehs, v := f.edge, f.ehs, f.v

	// A publisher that sends nothing (yet) stays, whoever the cluster names.
	quiet, _ := publishWHIP(t, ehs.URL, "room2", webrtc.MimeTypeH264)
	defer quiet.close()

	close(f.pubE.stop) // silent, its peer up
	pubO, moved, n := movePublisher(t, f.ohs.URL, f.ec, v)
	defer pubO.close()
	waitFor(t, 10*time.Second, "media from O through E's relay", func() bool { return v.packets.Load() > n+30 })
	t.Logf("video again %v after the publisher reached O", time.Since(moved).Round(time.Millisecond))
	if l := edge.MediaLoad(); l.Relays != 1 || l.Publishers != 1 || len(l.Origins) != 1 || l.Origins[0] != "room2" {
		t.Fatalf("edge load %+v, want room1 relayed and room2 still published", l)
	}
}

// followShow is a room published on node E and watched there, with node O
// beside it that the publisher can move to.
type followShow struct {
	origin, edge *Server
	ohs, ehs     *httptest.Server
	ec           *fakeCluster // E's view of the cluster
	pubE         *fakePublisher
	v            *fakeViewer
}

// edgeWatching starts O and E, publishes room1 on E and waits until a
// viewer on E gets its media. The servers, publisher and viewer end with
// the test.
func edgeWatching(t *testing.T) *followShow {
	t.Helper()
	f := &followShow{ec: &fakeCluster{}}
	f.origin, f.ohs, _ = newTestServer(t, nil)
	f.edge, f.ehs, _ = newTestServer(t, nil)
	f.origin.SetCluster(&fakeCluster{}, 0)
	f.edge.SetCluster(f.ec, time.Minute)
	f.pubE, _ = publishWHIP(t, f.ehs.URL, "room1", webrtc.MimeTypeH264)
	t.Cleanup(f.pubE.close)
	f.pubE.start(30)
	f.v, _ = viewWHEP(t, f.ehs.URL, "room1", nil)
	t.Cleanup(f.v.close)
	waitFor(t, 5*time.Second, "media from the publisher on E", func() bool { return f.v.packets.Load() >= 30 })
	return f
}

// movePublisher publishes room1 on the node at url (its sequence numbers
// far from the old publisher's) and tells the edge's cluster that node is
// the origin now. It returns the publisher, when the move was made and
// the packets viewer v had then.
func movePublisher(t *testing.T, url string, ec *fakeCluster, v *fakeViewer) (*fakePublisher, time.Time, int64) {
	t.Helper()
	pub, _ := publishWHIP(t, url, "room1", webrtc.MimeTypeH264)
	pub.layers[0].seq = 30000
	pub.start(30)
	moved := time.Now()
	ec.set(url)
	return pub, moved, v.packets.Load()
}
