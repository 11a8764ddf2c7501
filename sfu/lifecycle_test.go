package sfu

import (
	"context"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

func TestPublisherLeavesAndReturns(t *testing.T) {
	srv, hs, _ := newTestServer(t, nil)
	pub, loc := publishWHIP(t, hs.URL, "room1", webrtc.MimeTypeH264)
	pub.start(30)
	v, _ := viewWHEP(t, hs.URL, "room1", nil)
	defer v.close()
	waitFor(t, 5*time.Second, "first media", func() bool { return v.packets.Load() >= 50 })

	if code := doRequest(t, http.MethodDelete, hs.URL+loc); code != http.StatusOK {
		t.Fatalf("DELETE publisher: %d", code)
	}
	pub.close()
	waitFor(t, 2*time.Second, "room not live", func() bool { return !srv.Live("room1") })
	v.mu.Lock()
	before := len(v.seqs)
	v.mu.Unlock()

	// The viewer stays; a new publisher (new SSRC, new sequence numbers and
	// timestamps) takes over and the viewer resumes seamlessly.
	pub2, _ := publishWHIP(t, hs.URL, "room1", webrtc.MimeTypeH264)
	defer pub2.close()
	pub2.layers[0].seq = 40000
	pub2.start(1000)
	waitFor(t, 5*time.Second, "media from the second publisher", func() bool {
		v.mu.Lock()
		defer v.mu.Unlock()
		return len(v.seqs) > before+30
	})
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.seqs[before] != v.seqs[before-1]+1 {
		t.Errorf("sequence jumped across publishers: %d -> %d", v.seqs[before-1], v.seqs[before])
	}
	resumedOnKey := false
	for _, k := range v.keyAt {
		if k == before {
			resumedOnKey = true
		}
	}
	if !resumedOnKey {
		t.Errorf("viewer did not resume on a keyframe")
	}
}

func TestSecondPublisherRefused(t *testing.T) {
	_, hs, _ := newTestServer(t, nil)
	pub, _ := publishWHIP(t, hs.URL, "room1", webrtc.MimeTypeH264)
	defer pub.close()
	p2 := newFakePublisher(t, clientAPI(t, nil), webrtc.MimeTypeH264)
	defer p2.close()
	code, _, body := post(t, hs.URL+"/whip/room1", "pub-secret", "application/sdp", localOffer(t, p2.pc))
	if code != http.StatusConflict || !strings.Contains(body, "publisher") {
		t.Fatalf("second publisher: %d %q, want 409", code, body)
	}
}

func TestBadRequests(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Run("run", func(t *testing.T) {
		srv, hs, _ := newTestServer(t, nil)
		p := newFakePublisher(t, clientAPI(t, nil), webrtc.MimeTypeH264)
		defer p.close()
		good := localOffer(t, p.pc)
		tests := []struct {
			name, path, token, ctype, body string
			want                           int
			msg                            string
		}{
			{"malformed SDP", "/whip/room1", "pub-secret", "application/sdp", "v=0\r\nthis is not sdp", 400, "SDP"},
			{"empty SDP", "/whip/room1", "pub-secret", "application/sdp", "", 400, "SDP"},
			{"no token", "/whip/room1", "", "application/sdp", good, 401, "unauthorized"},
			{"wrong token", "/whip/room1", "nope", "application/sdp", good, 403, "forbidden"},
			{"unknown room", "/whip/nosuchroom", "pub-secret", "application/sdp", good, 404, "not found"},
			{"bad room id", "/whip/a%20b", "pub-secret", "application/sdp", good, 400, "room"},
			{"wrong content type", "/whip/room1", "pub-secret", "text/plain", good, 415, "application/sdp"},
			{"view not live", "/whep/room2", "", "application/sdp", good, 404, "not live"},
			{"private room without token", "/whep/private", "", "application/sdp", good, 401, "unauthorized"},
			{"private room wrong token", "/whep/private", "x", "application/sdp", good, 403, "forbidden"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				code, loc, body := post(t, hs.URL+tc.path, tc.token, tc.ctype, tc.body)
				if code != tc.want || !strings.Contains(strings.ToLower(body), strings.ToLower(tc.msg)) {
					t.Fatalf("got %d %q, want %d containing %q", code, body, tc.want, tc.msg)
				}
				if loc != "" {
					t.Fatalf("error response has Location %q", loc)
				}
			})
		}
		methods := []struct {
			method, path string
			want         int
		}{
			{http.MethodGet, "/whip/room1", 405},
			{http.MethodDelete, "/whip/room1/nosuchsession", 404},
			{http.MethodDelete, "/whep/room1/nosuchsession", 404},
			{http.MethodOptions, "/whep/room1", 204},
		}
		for _, m := range methods {
			if code := doRequest(t, m.method, hs.URL+m.path); code != m.want {
				t.Errorf("%s %s: %d, want %d", m.method, m.path, code, m.want)
			}
		}
		if st := srv.Stats(); len(st) != 0 {
			t.Fatalf("failed requests left rooms behind: %+v", st)
		}
	})
	checkGoroutines(t, before)
}

func TestCORSAndLinks(t *testing.T) {
	_, hs, _ := newTestServer(t, nil)
	req, _ := http.NewRequest(http.MethodOptions, hs.URL+"/whep/room1", nil)
	req.Header.Set("Origin", "https://player.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header
	if h.Get("Access-Control-Allow-Origin") != "https://player.example" ||
		!strings.Contains(h.Get("Access-Control-Expose-Headers"), "Location") ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") ||
		!strings.Contains(h.Get("Link"), `<stun:stun.example.org:3478>; rel="ice-server"`) {
		t.Fatalf("CORS headers: %v", h)
	}
}

func TestViewerLeavingFreesEverything(t *testing.T) {
	srv, hs, _ := newTestServer(t, nil)
	pub, _ := publishWHIP(t, hs.URL, "room1", webrtc.MimeTypeH264)
	defer pub.close()
	pub.start(30)
	// Warm up: one viewer joins and leaves so lazily started goroutines
	// (HTTP keep-alives, Pion's shared muxes) exist before counting.
	v0, loc0 := viewWHEP(t, hs.URL, "room1", nil)
	<-v0.firstKey
	doRequest(t, http.MethodDelete, hs.URL+loc0)
	v0.close()
	time.Sleep(200 * time.Millisecond)
	http.DefaultClient.CloseIdleConnections()
	base := runtime.NumGoroutine()

	for i := 0; i < 3; i++ {
		v, loc := viewWHEP(t, hs.URL, "room1", nil)
		<-v.firstKey
		if code := doRequest(t, http.MethodDelete, hs.URL+loc); code != http.StatusOK {
			t.Fatalf("DELETE viewer: %d", code)
		}
		v.close()
	}
	waitFor(t, 2*time.Second, "no subscribers", func() bool {
		st := srv.Stats()
		return len(st) == 1 && len(st[0].Subscribers) == 0 && len(st[0].Publisher.Tracks) == 1
	})
	for _, tr := range srv.Stats()[0].Publisher.Tracks {
		if tr.SubscriberRefs != 0 {
			t.Fatalf("track still referenced by %d viewers", tr.SubscriberRefs)
		}
	}
	checkGoroutines(t, base)
}

func TestGoAPIErrorsAndClose(t *testing.T) {
	srv, _, _ := newTestServer(t, nil)
	ctx := context.Background()
	if _, _, err := srv.Subscribe(ctx, "room1", "v=0"); err == nil {
		t.Fatal("Subscribe accepted a bad offer")
	}
	if err := srv.CloseSession("nope"); err != ErrSessionNotFound {
		t.Fatalf("CloseSession: %v", err)
	}
	if err := srv.AddICECandidate("nope", webrtc.ICECandidateInit{}); err != ErrSessionNotFound {
		t.Fatalf("AddICECandidate: %v", err)
	}
	// Trickle: the answer comes back at once and candidates via callback.
	p := newFakePublisher(t, clientAPI(t, nil), webrtc.MimeTypeH264)
	defer p.close()
	cands := make(chan webrtc.ICECandidateInit, 8)
	closed := make(chan struct{})
	answer, id, err := srv.Publish(ctx, "roomx", localOffer(t, p.pc),
		WithICECandidateHandler(func(c webrtc.ICECandidateInit) { cands <- c }),
		WithCloseHandler(func() { close(closed) }))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-cands:
		if !strings.Contains(c.Candidate, "127.0.0.1") {
			t.Errorf("candidate %q is not on loopback", c.Candidate)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no trickled candidate")
	}
	if !strings.Contains(answer, "a=ice-ufrag") {
		t.Fatal("answer has no ICE credentials")
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-closed:
	case <-time.After(2 * time.Second):
		t.Fatal("close handler not called on server close")
	}
	if _, _, err := srv.Publish(ctx, "roomx", "v=0\r\n"); err == nil {
		t.Fatal("Publish after Close succeeded")
	}
	_ = id
}
