package sfu

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// TestViewersCannotLockOutPublishers fills the viewer cap and still lets a
// seller go live: publishers are counted apart from viewers.
func TestViewersCannotLockOutPublishers(t *testing.T) {
	_, hs, _ := newTestServer(t, func(c *Config) { c.MaxViewers = 1 })
	pub, _ := publishWHIP(t, hs.URL, "room1", webrtc.MimeTypeH264)
	defer pub.close()
	pub.start(30)
	v, _ := viewWHEP(t, hs.URL, "room1", nil)
	defer v.close()
	v2 := newFakeViewer(t, clientAPI(t, nil))
	defer v2.close()
	if code, _, body := post(t, hs.URL+"/whep/room1", "", "application/sdp", localOffer(t, v2.pc)); code != http.StatusServiceUnavailable {
		t.Fatalf("viewer over the cap: %d %q, want 503", code, body)
	}
	// The viewer cap is full, and the seller of another room goes live.
	pub2, _ := publishWHIP(t, hs.URL, "room2", webrtc.MimeTypeH264)
	pub2.close()
}

// TestPublishersCap bounds publishers on their own.
func TestPublishersCap(t *testing.T) {
	_, hs, _ := newTestServer(t, func(c *Config) { c.MaxPublishers = 1 })
	pub, _ := publishWHIP(t, hs.URL, "room1", webrtc.MimeTypeH264)
	defer pub.close()
	p2 := newFakePublisher(t, clientAPI(t, nil), webrtc.MimeTypeH264)
	defer p2.close()
	if code, _, body := post(t, hs.URL+"/whip/room2", "pub-secret", "application/sdp", localOffer(t, p2.pc)); code != http.StatusServiceUnavailable {
		t.Fatalf("publisher over the cap: %d %q, want 503", code, body)
	}
}

// TestAdmission: the handler asks the admission hook before any work,
// answers 429 with Retry-After when it refuses, and hands the release back
// exactly once whether the session ends or the offer fails.
func TestAdmission(t *testing.T) {
	srv, _, auth := newTestServer(t, nil)
	var mu sync.Mutex
	held := map[string]int{} // "whip"/"whep" -> sessions admitted and not released
	var refuse atomic.Bool
	admit := func(r *http.Request, room string, publish bool) (func(), error) {
		if refuse.Load() {
			return nil, &LimitError{Reason: "too many viewers from your address", RetryAfter: 7 * time.Second}
		}
		kind := map[bool]string{true: "whip", false: "whep"}[publish]
		mu.Lock()
		held[kind]++
		mu.Unlock()
		return func() {
			mu.Lock()
			held[kind]--
			mu.Unlock()
		}, nil
	}
	hs := httptest.NewServer(NewHTTPHandler(srv, auth, WithAdmission(admit)))
	defer hs.Close()
	count := func(kind string) int {
		mu.Lock()
		defer mu.Unlock()
		return held[kind]
	}
	pub, _ := publishWHIP(t, hs.URL, "room1", webrtc.MimeTypeH264)
	defer pub.close()
	pub.start(30)
	v, loc := viewWHEP(t, hs.URL, "room1", nil)
	defer v.close()
	if count("whep") != 1 || count("whip") != 1 {
		t.Fatalf("admitted: %v", held)
	}
	// A bad offer is admitted, fails, and gives its slot back.
	if code, _, _ := post(t, hs.URL+"/whep/room1", "", "application/sdp", "not sdp"); code != http.StatusBadRequest {
		t.Fatalf("bad offer: %d", code)
	}
	if n := count("whep"); n != 1 {
		t.Fatalf("after a failed offer %d viewers are held, want 1", n)
	}
	// Ending the session releases it.
	if code := doRequest(t, http.MethodDelete, hs.URL+loc); code != http.StatusOK {
		t.Fatalf("DELETE: %d", code)
	}
	waitFor(t, 5*time.Second, "the viewer's release", func() bool { return count("whep") == 0 })

	refuse.Store(true)
	req, _ := http.NewRequest(http.MethodPost, hs.URL+"/whep/room1", strings.NewReader("v=0"))
	req.Header.Set("Content-Type", "application/sdp")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "7" {
		t.Fatalf("refused: %d Retry-After %q, want 429 and 7", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if n := count("whep"); n != 0 {
		t.Fatalf("a refused request holds %d", n)
	}
}
