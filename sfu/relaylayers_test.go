package sfu

import (
	"io"
	"net/http"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// roomLayers returns the RIDs of roomID's video layers on srv, sorted.
func roomLayers(srv *Server, roomID string) []string {
	srv.mu.Lock()
	r, ok := srv.rooms[roomID]
	srv.mu.Unlock()
	if !ok {
		return nil
	}
	var out []string
	for _, l := range r.video.currentLayers() {
		out = append(out, l.rid)
	}
	sort.Strings(out)
	return out
}

// layerRates returns the measured bitrates of roomID's video layers on
// srv, low to high.
func layerRates(srv *Server, roomID string) []uint64 {
	srv.mu.Lock()
	r, ok := srv.rooms[roomID]
	srv.mu.Unlock()
	if !ok {
		return nil
	}
	var out []uint64
	for _, l := range r.video.currentLayers() {
		out = append(out, l.st.bitrate.Load())
	}
	return out
}

// lastLayer returns the layer id of the newest packet v received.
func (v *fakeViewer) lastLayer() byte {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.layers) == 0 {
		return 0
	}
	return v.layers[len(v.layers)-1]
}

// checkSwitches puts what v received in sequence order (a packet lost on
// the way and retransmitted arrives late), fails if a sequence number is
// missing (but for the last tail ones, whose losses may still have been on
// their way again) or the layer changes anywhere but at a keyframe, and
// returns the layers v saw in order.
func checkSwitches(t *testing.T, name string, v *fakeViewer, tail int) []byte {
	t.Helper()
	v.mu.Lock()
	defer v.mu.Unlock()
	type rec struct {
		ext   int
		layer byte
		key   bool
	}
	keys := map[int]bool{}
	for _, k := range v.keyAt {
		keys[k] = true
	}
	byExt := map[int]rec{}
	ext := 0
	for i := range v.seqs {
		if i > 0 {
			ext += int(int16(v.seqs[i] - v.seqs[i-1]))
		}
		r := byExt[ext]
		byExt[ext] = rec{ext: ext, layer: v.layers[i], key: r.key || keys[i]}
	}
	recs := make([]rec, 0, len(byExt))
	for _, r := range byExt {
		recs = append(recs, r)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].ext < recs[j].ext })
	var seen []byte
	for i, r := range recs {
		if i > 0 && r.ext != recs[i-1].ext+1 && r.ext <= recs[len(recs)-1].ext-tail {
			t.Errorf("%s: packets %d to %d missing", name, recs[i-1].ext+1, r.ext-1)
		}
		if i == 0 || r.layer != recs[i-1].layer {
			if !r.key {
				t.Errorf("%s: layer %d starts at packet %d, not on a keyframe", name, r.layer, r.ext)
			}
			seen = append(seen, r.layer)
		}
	}
	return seen
}

// TestRelayCarriesTheLayersEdgeViewersNeed: a three-layer simulcast
// publisher on the origin; on the edge a viewer on a poor link receives the
// low layer and one on a good link the high one, each relayed once; when
// the good viewer's estimate falls to the middle layer, the edge fetches
// that layer, the viewer switches at a keyframe without a gap, and the
// high layer, needed by nobody, is released after the linger, as the
// middle one is after its last viewer leaves. The origin serves one
// session per layer in use, whatever the number of edge viewers.
func TestRelayCarriesTheLayersEdgeViewersNeed(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Run("run", func(t *testing.T) {
		// Bitrates sampled over half a second (15 frames) are steady
		// enough to tell the layers apart.
		stats := func(c *Config) { c.StatsInterval = 500 * time.Millisecond }
		origin, ohs, _ := newTestServer(t, stats)
		// The edge's viewers get these estimators in the order they join:
		// the first on a poor link (nothing fits: the lowest layer), the
		// second unknown (the best layer).
		poor, good := &fakeEstimator{}, &fakeEstimator{}
		poor.bps.Store(1)
		var mu sync.Mutex
		next := []*fakeEstimator{poor, good}
		edge, ehs, _ := newTestServer(t, func(c *Config) {
			stats(c)
			c.NewEstimator = func() BandwidthEstimator {
				mu.Lock()
				defer mu.Unlock()
				if len(next) == 0 {
					return &fakeEstimator{}
				}
				e := next[0]
				next = next[1:]
				return e
			}
		})
		origin.SetCluster(&fakeCluster{}, 0)
		ec := &fakeCluster{}
		ec.set(ohs.URL)
		edge.SetCluster(ec, 300*time.Millisecond)

		pub, _ := publishWHIP(t, ohs.URL, "room1", webrtc.MimeTypeH264, "q", "h", "f")
		defer pub.close()
		pub.start(1000) // keyframes only on request: every switch must ask upstream
		waitFor(t, 10*time.Second, "the origin to measure its three layers", func() bool {
			r := layerRates(origin, "room1")
			return len(r) == 3 && r[0] > 0 && r[1] > r[0] && r[2] > r[1]
		})

		low, _ := viewWHEP(t, ehs.URL, "room1", nil)
		defer low.close()
		waitFor(t, 10*time.Second, "the poor viewer's media", func() bool { return low.packets.Load() >= 30 })
		if got := roomLayers(edge, "room1"); !slices.Equal(got, []string{"q"}) {
			t.Fatalf("edge carries %v for a viewer of the low layer, want [q]", got)
		}
		if n := origin.MediaLoad().Viewers; n != 1 {
			t.Fatalf("the origin serves %d sessions, want 1 (the relay with the low layer)", n)
		}

		high, _ := viewWHEP(t, ehs.URL, "room1", nil)
		defer high.close()
		waitFor(t, 10*time.Second, "the good viewer on the high layer", func() bool { return high.lastLayer() == 3 })
		waitFor(t, 5*time.Second, "the edge to carry q and f", func() bool {
			return slices.Equal(roomLayers(edge, "room1"), []string{"f", "q"}) && origin.MediaLoad().Viewers == 2
		})

		var rids []string
		for _, rs := range edge.Stats() {
			for _, tr := range rs.Publisher.Tracks {
				rids = append(rids, tr.RID)
			}
		}
		sort.Strings(rids)
		if !slices.Equal(rids, []string{"f", "q"}) {
			t.Errorf("the edge's stats show relayed layers %v, want [f q]", rids)
		}

		// The good viewer's link narrows to a little above the middle
		// layer's bitrate, well below the high one's: the edge fetches h
		// and drops f.
		r := layerRates(origin, "room1")
		good.bps.Store(uint64(float64(r[1]) * 1.15 / 0.85))
		defer func() {
			if t.Failed() {
				t.Logf("origin layers %v; edge layers %v at %v; estimate %d; good viewer on %d",
					r, roomLayers(edge, "room1"), layerRates(edge, "room1"), good.bps.Load(), high.lastLayer())
			}
		}()
		waitFor(t, 10*time.Second, "the viewer on the middle layer", func() bool { return high.lastLayer() == 2 })
		waitFor(t, 5*time.Second, "f to be released", func() bool {
			return slices.Equal(roomLayers(edge, "room1"), []string{"h", "q"}) && origin.MediaLoad().Viewers == 2
		})

		n := high.packets.Load()
		waitFor(t, 5*time.Second, "more media on the middle layer", func() bool { return high.packets.Load() > n+30 })
		high.close()
		waitFor(t, 5*time.Second, "h to be released after its last viewer", func() bool {
			return slices.Equal(roomLayers(edge, "room1"), []string{"q"}) && origin.MediaLoad().Viewers == 1
		})
		n = low.packets.Load()
		waitFor(t, 5*time.Second, "the poor viewer's media to go on", func() bool { return low.packets.Load() > n+30 })

		diag := append(origin.Stats(), edge.Stats()...)
		defer func() {
			if t.Failed() {
				for _, rs := range diag {
					if rs.Publisher != nil {
						t.Logf("publisher tracks %+v", rs.Publisher.Tracks)
					}
					for _, ss := range rs.Subscribers {
						t.Logf("subscriber tracks %+v", ss.Tracks)
					}
				}
			}
		}()
		if seen := checkSwitches(t, "poor viewer", low, 0); !slices.Equal(seen, []byte{1}) {
			t.Errorf("the poor viewer saw layers %v, want only the low one", seen)
		}
		seen := checkSwitches(t, "good viewer", high, 0)
		if len(seen) == 0 || seen[len(seen)-1] != 2 || !slices.Contains(seen, 3) {
			t.Errorf("the good viewer saw layers %v, want the high one, then the middle one", seen)
		}
		if pub.plis.Load() == 0 {
			t.Error("no keyframe request reached the publisher")
		}
		low.close()
		waitFor(t, 10*time.Second, "the relay to be released", func() bool {
			return edge.MediaLoad().Relays == 0 && origin.MediaLoad().Viewers == 0
		})
	})
	checkGoroutines(t, before)
}

// TestRelayLayerRequest: the origin answers a relay's POST with the list of
// its layers and serves the layer named by ?layer= (the lowest without
// it), never another; an unknown layer is 404; a viewer without the relay
// bearer cannot pin a layer (the parameter is ignored).
func TestRelayLayerRequest(t *testing.T) {
	srv, hs, _ := newTestServer(t, nil)
	srv.SetCluster(&fakeCluster{}, 0)
	pub, _ := publishWHIP(t, hs.URL, "room1", webrtc.MimeTypeVP8, "q", "h", "f")
	defer pub.close()
	pub.start(30)
	waitFor(t, 10*time.Second, "three layers", func() bool { return len(layerRates(srv, "room1")) == 3 })

	watch := func(query, token string) (*fakeViewer, *http.Response) {
		t.Helper()
		v := newFakeViewer(t, clientAPI(t, nil))
		t.Cleanup(v.close)
		req, _ := http.NewRequest(http.MethodPost, hs.URL+"/whep/room1"+query, strings.NewReader(localOffer(t, v.pc)))
		req.Header.Set("Content-Type", "application/sdp")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b := new(strings.Builder)
		_, _ = io.Copy(b, resp.Body)
		if resp.StatusCode == http.StatusCreated {
			setAnswer(t, v.pc, b.String())
		}
		return v, resp
	}
	const token = "relay-token-room1"
	for _, tc := range []struct {
		query string
		layer byte
	}{{"", 1}, {"?layer=h", 2}, {"?layer=f", 3}} {
		v, resp := watch(tc.query, token)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("%q: %d", tc.query, resp.StatusCode)
		}
		cat := parseLayers(resp.Header.Get(layersHeader))
		if len(cat) != 3 || cat[0].rid != "q" || cat[2].rid != "f" {
			t.Fatalf("%q: %s %q", tc.query, layersHeader, resp.Header.Get(layersHeader))
		}
		waitFor(t, 5*time.Second, "media", func() bool { return v.packets.Load() >= 40 })
		v.mu.Lock()
		for i, l := range v.layers {
			if l != tc.layer {
				t.Errorf("%q: packet %d is of layer %d, want only %d", tc.query, i, l, tc.layer)
				break
			}
		}
		v.mu.Unlock()
	}
	if _, resp := watch("?layer=x", token); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown layer: %d, want 404", resp.StatusCode)
	}
	// A public viewer's ?layer is ignored: it gets the best layer, and no
	// list of layers.
	v, resp := watch("?layer=q", "")
	if resp.StatusCode != http.StatusCreated || resp.Header.Get(layersHeader) != "" {
		t.Fatalf("public viewer: %d %q", resp.StatusCode, resp.Header.Get(layersHeader))
	}
	waitFor(t, 5*time.Second, "the best layer", func() bool { return v.lastLayer() == 3 })
}
