package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pion/webrtc/v4"

	"github.com/bidcast/bidcast/demo"
	"github.com/bidcast/bidcast/internal/ops"
	"github.com/bidcast/bidcast/internal/testpattern"
)

// TestWebSocketCapsAreWired: WS_CONNS_PER_USER reaches the gateway; the
// user's next socket is refused with 429 while another user connects.
func TestWebSocketCapsAreWired(t *testing.T) {
	base, _ := startApp(t, testConfigWith(t, "", map[string]string{"WS_CONNS_PER_USER": "2"}))
	alice, bob := newHTTPUser(t, base), newHTTPUser(t, base)
	for _, u := range []*httpUser{alice, bob} {
		if code := u.do("POST", "/auth/guest", `{"display_name":"capped"}`, nil); code != 200 {
			t.Fatalf("guest sign-in: %d", code)
		}
	}
	alice.dial()
	alice.dial()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hdr := http.Header{}
	for _, c := range alice.c.Jar.Cookies(mustURL(t, base)) {
		hdr.Add("Cookie", c.Name+"="+c.Value)
	}
	_, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws", &websocket.DialOptions{HTTPHeader: hdr})
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("alice's third socket: %v %v, want 429", err, resp)
	}
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), `"too_many_connections"`) || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("refusal: %s, Retry-After %q", body, resp.Header.Get("Retry-After"))
	}
	bob.dial()
}

// TestWHEPCapsAndPublisherSlot: from one address, the N+1th WHEP session is
// refused with 429; the publisher of another room still goes live from
// that address; ending a session frees its slot.
func TestWHEPCapsAndPublisherSlot(t *testing.T) {
	base, app := startApp(t, testConfigWith(t, "", map[string]string{"WHEP_SESSIONS_PER_ADDR": "2"}))
	ctx := context.Background()
	live, err := ops.CreateRoom(ctx, app.db, base, "capped show", "cap-seller", ops.RoomOptions{Public: true})
	if err != nil {
		t.Fatal(err)
	}
	other, err := ops.CreateRoom(ctx, app.db, base, "second show", "cap-seller-2", ops.RoomOptions{Public: true})
	if err != nil {
		t.Fatal(err)
	}
	pctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = demo.RunPublisher(pctx, demo.PublisherConfig{WHIPURL: live.WHIPURL, Token: live.PublishToken,
			Loopback: true, Retry: 200 * time.Millisecond}, quiet())
	}()
	t.Cleanup(func() { stop(); <-done })
	api, err := testpattern.NewPeerAPI(true)
	if err != nil {
		t.Fatal(err)
	}
	whep := base + "/whep/" + live.RoomID
	// The first viewer gets in once the broadcast's media has reached the
	// SFU; failed attempts before that must not keep their slots.
	var first string
	deadline := time.Now().Add(60 * time.Second)
	for first == "" {
		code, loc, _ := offer(t, api, whep, "", false)
		switch {
		case code == http.StatusCreated:
			first = loc
		case time.Now().After(deadline):
			t.Fatalf("no viewer got in: last WHEP status %d", code)
		default:
			time.Sleep(200 * time.Millisecond)
		}
	}
	if code, _, _ := offer(t, api, whep, "", false); code != http.StatusCreated {
		t.Fatalf("second viewer: %d", code)
	}
	code, _, resp := offer(t, api, whep, "", false)
	if code != http.StatusTooManyRequests {
		t.Fatalf("third viewer from the address: %d, want 429", code)
	}
	if s, err := strconv.Atoi(resp.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After %q", resp.Get("Retry-After"))
	}
	// The viewer cap of this address is full, and a seller on the same
	// address still goes live.
	if code, _, _ := offer(t, api, other.WHIPURL, other.PublishToken, true); code != http.StatusCreated {
		t.Fatalf("publisher while the viewer cap is full: %d, want 201", code)
	}
	// Ending a session gives its slot back.
	req, _ := http.NewRequest(http.MethodDelete, base+first, nil)
	if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("DELETE %s: %v %v", first, err, r)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		code, _, _ := offer(t, api, whep, "", false)
		if code == http.StatusCreated {
			break
		}
		if code != http.StatusTooManyRequests || time.Now().After(deadline) {
			t.Fatalf("viewer after a session ended: %d", code)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestWHIPWHEPRate: offers per address per minute, 429 with Retry-After.
func TestWHIPWHEPRate(t *testing.T) {
	base, _ := startApp(t, testConfigWith(t, "", map[string]string{"WHIP_WHEP_RATE": "2"}))
	freshRateWindow()
	post := func() *http.Response {
		req, _ := http.NewRequest("POST", base+"/whep/00000000-0000-0000-0000-000000000000", strings.NewReader("v=0"))
		req.Header.Set("Content-Type", "application/sdp")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := range 2 {
		if r := post(); r.StatusCode != http.StatusNotFound {
			t.Fatalf("offer %d: %d, want 404 (unknown room)", i+1, r.StatusCode)
		}
	}
	r := post()
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); r.StatusCode != http.StatusTooManyRequests || err != nil || s < 1 || s > 60 {
		t.Fatalf("third offer: %d Retry-After %q, want 429", r.StatusCode, r.Header.Get("Retry-After"))
	}
}

// TestTrustedProxiesAreWired: behind a trusted proxy (here loopback) each
// forwarded client has its own budget, and a forged left-most hop does
// not buy a new one.
func TestTrustedProxiesAreWired(t *testing.T) {
	base, _ := startApp(t, testConfigWith(t, "", map[string]string{"WHIP_WHEP_RATE": "1",
		"TRUSTED_PROXIES": "127.0.0.0/8, ::1"}))
	freshRateWindow()
	post := func(xff string) int {
		req, _ := http.NewRequest("POST", base+"/whep/00000000-0000-0000-0000-000000000000", strings.NewReader("v=0"))
		req.Header.Set("Content-Type", "application/sdp")
		req.Header.Set("X-Forwarded-For", xff)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		xff  string
		want int
	}{{"198.51.100.1", 404}, {"198.51.100.2", 404}, {"203.0.113.9, 198.51.100.1", 429}} {
		if got := post(tc.xff); got != tc.want {
			t.Errorf("offer forwarded for %q: %d, want %d", tc.xff, got, tc.want)
		}
	}
}

// TestClientLimitsDisabled: CLIENT_LIMITS_DISABLED lifts the caps (load
// tests from one address).
func TestClientLimitsDisabled(t *testing.T) {
	cfg := testConfigWith(t, "", map[string]string{"CLIENT_LIMITS_DISABLED": "true", "WS_CONNS_PER_USER": "1"})
	if ws, m := cfg.WS, cfg.Media; ws.ConnsPerUser >= 0 || ws.ConnsPerAddr >= 0 || m.ViewersPerAddr >= 0 ||
		m.ViewersPerUser >= 0 || m.OffersPerMin >= 0 {
		t.Fatalf("limits with CLIENT_LIMITS_DISABLED: %+v, %+v", ws, m)
	}
	base, _ := startApp(t, cfg)
	u := newHTTPUser(t, base)
	if code := u.do("POST", "/auth/guest", `{"display_name":"loader"}`, nil); code != 200 {
		t.Fatalf("guest sign-in: %d", code)
	}
	for range 3 {
		u.dial()
	}
}

// freshRateWindow waits, when less than 20 s are left of the current
// minute, for the next one to begin: the server counts offers in fixed
// windows of a wall-clock minute, and a test's few requests must not
// straddle two of them.
func freshRateWindow() {
	const window, margin = time.Minute, 20 * time.Second
	now := time.Now()
	if left := now.Truncate(window).Add(window).Sub(now); left < margin {
		time.Sleep(left + 10*time.Millisecond)
	}
}

// offer POSTs a fresh WHEP (or, with publish, WHIP) offer and returns the
// status, the Location and the headers.
func offer(t *testing.T, api *webrtc.API, url, token string, publish bool) (int, string, http.Header) {
	t.Helper()
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	if publish {
		track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264,
			ClockRate: 90000, SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}, "video", "cap")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pc.AddTrack(track); err != nil {
			t.Fatal(err)
		}
	} else if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	o, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(o); err != nil {
		t.Fatal(err)
	}
	<-gathered
	req, _ := http.NewRequest("POST", url, strings.NewReader(pc.LocalDescription().SDP))
	req.Header.Set("Content-Type", "application/sdp")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location"), resp.Header
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
