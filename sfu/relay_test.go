package sfu

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// fakeCluster is a Cluster and Placer whose origin and placement the test
// sets.
type fakeCluster struct {
	mu     sync.Mutex
	origin string // base URL of the origin node; "" for none
	place  string // base URL to place WHEP viewers at; "" for here
	events []string
}

func (c *fakeCluster) set(origin string) { c.mu.Lock(); c.origin = origin; c.mu.Unlock() }

func (c *fakeCluster) Locate(_ context.Context, roomID string) (string, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.origin == "" {
		return "", false, nil
	}
	return c.origin + "/whep/" + roomID, true, nil
}

func (c *fakeCluster) RelayToken(roomID string) string { return "relay-token-" + roomID }

func (c *fakeCluster) MediaChanged(roomID string, relay, on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	role := "origin"
	if relay {
		role = "relay"
	}
	state := "off"
	if on {
		state = "on"
	}
	c.events = append(c.events, roomID+" "+role+" "+state)
}

func (c *fakeCluster) Place(_ context.Context, roomID string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.place == "" {
		return "", nil
	}
	return c.place + "/whep/" + roomID, nil
}

func (c *fakeCluster) saw(event string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.events {
		if e == event {
			return true
		}
	}
	return false
}

// TestRelayServesEdgeViewers: viewers of an edge node receive a room
// published on the origin through one relay; the origin sees one viewer
// however many watch on the edge; the relay is released a linger after the
// last edge viewer leaves, and nothing of it survives.
func TestRelayServesEdgeViewers(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Run("run", func(t *testing.T) {
		origin, ohs, _ := newTestServer(t, nil)
		edge, ehs, _ := newTestServer(t, nil)
		oc, ec := &fakeCluster{}, &fakeCluster{}
		origin.SetCluster(oc, 0)
		edge.SetCluster(ec, 300*time.Millisecond)
		ec.set(ohs.URL)

		pub, _ := publishWHIP(t, ohs.URL, "room1", webrtc.MimeTypeH264)
		defer pub.close()
		pub.start(30)
		if !oc.saw("room1 origin on") {
			t.Fatal("the origin did not announce itself")
		}
		var viewers []*fakeViewer
		for range 3 {
			v, _ := viewWHEP(t, ehs.URL, "room1", nil)
			viewers = append(viewers, v)
		}
		for i, v := range viewers {
			waitFor(t, 5*time.Second, "media on edge viewer", func() bool { return v.packets.Load() >= 50 })
			select {
			case <-v.firstKey:
			default:
				t.Fatalf("edge viewer %d did not start on a keyframe", i)
			}
		}
		ol, el := origin.MediaLoad(), edge.MediaLoad()
		if ol.Viewers != 1 || ol.Publishers != 1 || ol.Relays != 0 || len(ol.Origins) != 1 {
			t.Fatalf("origin load %+v, want 1 viewer (the relay) and 1 publisher", ol)
		}
		if el.Viewers != 3 || el.Relays != 1 || el.Publishers != 0 || len(el.Relayed) != 1 {
			t.Fatalf("edge load %+v, want 3 viewers and 1 relay", el)
		}
		if !ec.saw("room1 relay on") {
			t.Fatal("the edge did not announce its relay")
		}
		for _, v := range viewers {
			v.close()
		}
		waitFor(t, 10*time.Second, "the relay to be released", func() bool {
			return edge.MediaLoad().Relays == 0 && origin.MediaLoad().Viewers == 0
		})
		if !ec.saw("room1 relay off") {
			t.Fatal("the edge did not withdraw its relay")
		}
	})
	checkGoroutines(t, before)
}

// TestRelayFollowsOriginAndGivesWay: when the publisher moves to another
// node the edge's viewers resume from the new origin without re-joining;
// when the publisher reaches the edge itself the relay gives way to it.
func TestRelayFollowsOriginAndGivesWay(t *testing.T) {
	a, ahs, _ := newTestServer(t, nil)
	b, bhs, _ := newTestServer(t, nil)
	edge, ehs, _ := newTestServer(t, nil)
	ec := &fakeCluster{}
	a.SetCluster(&fakeCluster{}, 0)
	b.SetCluster(&fakeCluster{}, 0)
	edge.SetCluster(ec, time.Minute)
	ec.set(ahs.URL)

	pubA, _ := publishWHIP(t, ahs.URL, "room1", webrtc.MimeTypeH264)
	pubA.start(30)
	v, _ := viewWHEP(t, ehs.URL, "room1", nil)
	defer v.close()
	waitFor(t, 5*time.Second, "media from A", func() bool { return v.packets.Load() >= 30 })

	// The publisher dies on A and comes back on B.
	pubA.close()
	waitFor(t, 5*time.Second, "A's publisher to leave", func() bool { return !a.Live("room1") })
	pubB, moved, n := movePublisher(t, bhs.URL, ec, v)
	defer pubB.close()
	waitFor(t, 10*time.Second, "media from B through the moved relay", func() bool {
		return v.packets.Load() > n && b.MediaLoad().Viewers == 1
	})
	t.Logf("the edge's viewer has B's video %v after B became the origin", time.Since(moved).Round(time.Millisecond))
	waitFor(t, 10*time.Second, "more media from B", func() bool { return v.packets.Load() > n+30 })

	// Now the publisher reaches the edge itself: the relay gives way.
	pubB.close()
	pubE, _ := publishWHIP(t, ehs.URL, "room1", webrtc.MimeTypeH264)
	defer pubE.close()
	pubE.start(30)
	n = v.packets.Load()
	waitFor(t, 10*time.Second, "media from the edge's own publisher", func() bool {
		l := edge.MediaLoad()
		return v.packets.Load() > n+30 && l.Relays == 0 && l.Publishers == 1
	})
	waitFor(t, 10*time.Second, "B to lose the relay", func() bool { return b.MediaLoad().Viewers == 0 })
}

// TestRelayTokenAndPlacement: the relay bearer opens a private room's WHEP
// without a view token (and nothing else does), and is never redirected;
// other viewers are redirected with 307 when the placer names another node.
func TestRelayTokenAndPlacement(t *testing.T) {
	srv, hs, auth := newTestServer(t, nil)
	c := &fakeCluster{}
	srv.SetCluster(c, 0)
	pub, _ := publishWHIP(t, hs.URL, "private", webrtc.MimeTypeH264)
	defer pub.close()
	pub.start(30)

	offer := func() string {
		v := newFakeViewer(t, clientAPI(t, nil))
		t.Cleanup(v.close)
		return localOffer(t, v.pc)
	}
	if code, _, _ := post(t, hs.URL+"/whep/private", "wrong", "application/sdp", offer()); code != http.StatusForbidden &&
		code != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", code)
	}
	if code, _, _ := post(t, hs.URL+"/whep/private", "relay-token-room1", "application/sdp", offer()); code == http.StatusCreated {
		t.Fatal("another room's relay token opened the room")
	}
	if code, _, body := post(t, hs.URL+"/whep/private", "relay-token-private", "application/sdp", offer()); code != http.StatusCreated {
		t.Fatalf("relay token: %d %s", code, body)
	}

	h := NewHTTPHandler(srv, auth, WithPlacer(c))
	c.mu.Lock()
	c.place = "http://node-b.example:8080"
	c.mu.Unlock()
	for _, tc := range []struct {
		token string
		want  int
	}{{"view-secret", http.StatusTemporaryRedirect}, {"relay-token-private", http.StatusCreated}} {
		req, _ := http.NewRequest(http.MethodPost, "/whep/private", strings.NewReader(offer()))
		req.Header.Set("Content-Type", "application/sdp")
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Fatalf("token %q: %d %s, want %d", tc.token, rec.Code, rec.Body.String(), tc.want)
		}
		if tc.want == http.StatusTemporaryRedirect && rec.Header().Get("Location") != "http://node-b.example:8080/whep/private" {
			t.Fatalf("Location %q", rec.Header().Get("Location"))
		}
	}
}

// TestConcurrentViewersShareOneRelay: viewers arriving on an edge at the
// same moment start one relay between them, not one each.
func TestConcurrentViewersShareOneRelay(t *testing.T) {
	origin, ohs, _ := newTestServer(t, nil)
	edge, ehs, _ := newTestServer(t, nil)
	origin.SetCluster(&fakeCluster{}, 0)
	ec := &fakeCluster{}
	ec.set(ohs.URL)
	edge.SetCluster(ec, time.Minute)
	pub, _ := publishWHIP(t, ohs.URL, "room1", webrtc.MimeTypeVP8)
	defer pub.close()
	pub.start(30)

	const n = 5
	viewers := make([]*fakeViewer, n)
	offers := make([]string, n)
	for i := range viewers {
		viewers[i] = newFakeViewer(t, clientAPI(t, nil))
		defer viewers[i].close()
		offers[i] = localOffer(t, viewers[i].pc)
	}
	type answer struct {
		code int
		body string
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range viewers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, ehs.URL+"/whep/room1", strings.NewReader(offers[i]))
			req.Header.Set("Content-Type", "application/sdp")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				answers[i] = answer{body: err.Error()}
				return
			}
			defer resp.Body.Close()
			b := new(strings.Builder)
			_, _ = io.Copy(b, resp.Body)
			answers[i] = answer{resp.StatusCode, b.String()}
		}()
	}
	wg.Wait()
	for i, a := range answers {
		if a.code != http.StatusCreated {
			t.Fatalf("viewer %d: %d %s", i, a.code, a.body)
		}
		setAnswer(t, viewers[i].pc, a.body)
	}
	for _, v := range viewers {
		waitFor(t, 10*time.Second, "media on every edge viewer", func() bool { return v.packets.Load() >= 20 })
	}
	if l := origin.MediaLoad(); l.Viewers != 1 {
		t.Fatalf("the origin serves %d viewers, want the one relay", l.Viewers)
	}
	if l := edge.MediaLoad(); l.Relays != 1 || l.Viewers != n {
		t.Fatalf("edge load %+v", l)
	}
}
