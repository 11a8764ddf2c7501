//go:build interop

package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/bidcast/bidcast/internal/ops"
	"github.com/bidcast/bidcast/internal/testenv"
	"github.com/bidcast/bidcast/sfu"
)

// interopBrowser starts headless Chromium with a fake camera and returns a
// function opening a tab on testdata/interop/eyevinn.html, which is served
// from an origin of its own (so the libraries go through WHIP/WHEP CORS as
// they would on a customer's site).
func interopBrowser(t *testing.T) func() context.Context {
	t.Helper()
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is not installed (make services installs Debian's): %v", err)
	}
	pages := httptest.NewServer(http.FileServer(http.Dir("testdata/interop")))
	t.Cleanup(pages.Close)
	alloc, allocCancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("use-fake-device-for-media-stream", true), chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"), chromedp.Flag("mute-audio", true),
		chromedp.Flag("disable-features", "WebRtcHideLocalIpsWithMdns"))...)
	t.Cleanup(allocCancel)
	browser, browserCancel := chromedp.NewContext(alloc)
	t.Cleanup(browserCancel)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return func() context.Context {
		tab, cancel := chromedp.NewContext(browser)
		t.Cleanup(cancel)
		if err := chromedp.Do(tab, chromedp.Navigate(pages.URL+"/eyevinn.html")); err != nil {
			t.Fatalf("open the interop page: %v", err)
		}
		return tab
	}
}

// call runs an async function of the page and waits for its promise.
func call(t *testing.T, tab context.Context, expr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
}

// evalIn returns the value of a page expression.
func evalIn[T any](t *testing.T, tab context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// waitUntil polls cond until it holds or d passes.
func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
	}
}

// roomStats returns the SFU's view of one room (zero value if absent).
func roomStats(app *App, roomID string) sfu.RoomStats {
	for _, r := range app.sfu.Stats() {
		if r.RoomID == roomID {
			return r
		}
	}
	return sfu.RoomStats{}
}

// videoLayers counts the publisher's video streams that carried packets.
func videoLayers(r sfu.RoomStats) map[string]uint64 {
	out := map[string]uint64{}
	if r.Publisher != nil {
		for _, tr := range r.Publisher.Tracks {
			if tr.Kind == "video" && tr.Packets > 0 {
				out[tr.RID] = tr.Packets
			}
		}
	}
	return out
}

type watchReport struct {
	Frames       int     `json:"frames"`
	FirstFrameMs float64 `json:"firstFrameMs"`
	Width        int     `json:"width"`
	Height       int     `json:"height"`
	// JitterMs is the mean time a frame waited in Chromium's jitter
	// buffer between the first frame and the end of the watch.
	JitterMs float64 `json:"-"`
}

// jitterStats is what the page's jitter() reports.
type jitterStats struct {
	Decoded int     `json:"decoded"`
	Dropped int     `json:"dropped"`
	Freezes int     `json:"freezes"`
	Delay   float64 `json:"delay"`
	Emitted int     `json:"emitted"`
}

// watchWith plays the room with @eyevinn/webrtc-player in a new tab until
// it decoded 60 frames more than its first, then unloads it, and checks the first frame,
// the frames and the WHEP DELETE.
func watchWith(t *testing.T, newTab func() context.Context, app *App, room ops.Room, who string) watchReport {
	t.Helper()
	tab := newTab()
	call(t, tab, fmt.Sprintf("watch(%q)", room.WHEPURL))
	waitUntil(t, 15*time.Second, who+"'s first frame", func() bool {
		return evalIn[watchReport](t, tab, "watched()").Frames > 0
	})
	start := evalIn[watchReport](t, tab, "watched()")
	j0 := evalIn[jitterStats](t, tab, "jitter()")
	waitUntil(t, 10*time.Second, who+": 60 more frames", func() bool {
		return evalIn[watchReport](t, tab, "watched()").Frames >= start.Frames+60
	})
	got := evalIn[watchReport](t, tab, "watched()")
	j1 := evalIn[jitterStats](t, tab, "jitter()")
	if n := j1.Emitted - j0.Emitted; n > 0 {
		got.JitterMs = (j1.Delay - j0.Delay) / float64(n) * 1000
	}
	t.Logf("%s: first frame %.0f ms after the WHEP POST, %dx%d, %d frames (%d decoded, %d dropped, %d freezes), then %.0f ms in the jitter buffer on average",
		who, got.FirstFrameMs, got.Width, got.Height, got.Frames, j1.Decoded, j1.Dropped, j1.Freezes, got.JitterMs)
	if got.FirstFrameMs < 0 || got.FirstFrameMs > 1000 {
		t.Errorf("%s: first frame %.0f ms after the WHEP POST, want at most 1000", who, got.FirstFrameMs)
	}
	if got.Width == 0 || got.Height == 0 {
		t.Errorf("%s: decoded size %dx%d", who, got.Width, got.Height)
	}
	subs := len(roomStats(app, room.RoomID).Subscribers)
	call(t, tab, "unwatch()")
	if st := evalIn[[]int](t, tab, `requests.filter((r) => r.method === "DELETE").map((r) => r.status || 0)`); len(st) != 1 || st[0] != 200 {
		t.Errorf("%s: WHEP DELETE statuses %v, want [200]", who, st)
	}
	waitUntil(t, 5*time.Second, who+"'s session gone", func() bool { return len(roomStats(app, room.RoomID).Subscribers) == subs-1 })
	return got
}

// TestInteropEyevinnBrowser publishes with @eyevinn/whip-web-client and
// watches with @eyevinn/webrtc-player (npm, vendored under
// testdata/interop, see VENDOR.md) in headless Chromium: the player must
// decode frames within 1 s of its WHEP POST, as the stream starts and again
// seconds later, and both libraries must DELETE their resources.
func TestInteropEyevinnBrowser(t *testing.T) {
	newTab := interopBrowser(t)
	base, app := startApp(t, testConfig(t, ""))
	room, err := ops.CreateRoom(context.Background(), app.db, base, "interop eyevinn", "eyevinn", ops.RoomOptions{Public: true})
	if err != nil {
		t.Fatal(err)
	}
	pub := newTab()
	call(t, pub, fmt.Sprintf("publish(%q, %q)", room.WHIPURL, room.PublishToken))
	waitUntil(t, 15*time.Second, "the WHIP client's video at the SFU", func() bool { return len(videoLayers(roomStats(app, room.RoomID))) > 0 })
	for _, who := range []string{"first viewer", "late viewer"} {
		watchWith(t, newTab, app, room, who)
	}
	call(t, pub, "unpublish()")
	if st := evalIn[[]int](t, pub, `requests.filter((r) => r.method === "DELETE").map((r) => r.status || 0)`); len(st) != 1 || st[0] != 200 {
		t.Errorf("WHIP DELETE statuses %v, want [200]", st)
	}
	waitUntil(t, 5*time.Second, "the publisher gone", func() bool { return roomStats(app, room.RoomID).Publisher == nil })
	if st := evalIn[[]string](t, pub, `requests.map((r) => r.method + " " + (r.status || 0))`); len(st) > 0 {
		t.Logf("WHIP client requests: %s", strings.Join(st, ", "))
	}
}

// TestInteropChromiumWatchesPLIDeafPublisher: aiortc publishes H.264 with
// an IDR only every 8.3 s and ignores PLI, and Eyevinn's player in Chromium
// joins seconds into the group of pictures. The server replays the cached
// group squeezed to the live edge: Chromium must decode it at once and then
// play live, not hold the old frames in its jitter buffer.
func TestInteropChromiumWatchesPLIDeafPublisher(t *testing.T) {
	newTab := interopBrowser(t)
	base, app := startApp(t, testConfig(t, ""))
	room, err := ops.CreateRoom(context.Background(), app.db, base, "interop pli-deaf", "aiortc-chromium", ops.RoomOptions{Public: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pub := startAiortc(t, ctx, "publish", room.WHIPURL, room.PublishToken, "H264")
	pub.next(t, ctx, "connected")
	// About 2.5 s into the first group of pictures (aiortc sends 2-3
	// packets a frame at 30 fps).
	waitUntil(t, 20*time.Second, "an old group of pictures", func() bool {
		r := roomStats(app, room.RoomID)
		if r.Publisher == nil {
			return false
		}
		for _, tr := range r.Publisher.Tracks {
			if tr.Kind == "video" && tr.Keyframes == 1 && tr.Packets >= 200 {
				return true
			}
		}
		return false
	})
	got := watchWith(t, newTab, app, room, "Chromium viewer of aiortc")
	if got.JitterMs > 500 {
		t.Errorf("frames waited %.0f ms on average in Chromium's jitter buffer after the replay, want live (at most 500 ms)", got.JitterMs)
	}
	pub.stdin.Close()
	if del := pub.next(t, ctx, "deleted"); del.Status != 200 {
		t.Errorf("WHIP DELETE = %d, want 200", del.Status)
	}
	if err := <-pub.done; err != nil {
		t.Errorf("publisher: %v", err)
	}
}

// TestInteropChromiumRelayOnly runs Debian's coturn with the time-limited
// credential scheme and the server minting credentials (SFU_TURN_URLS,
// SFU_TURN_SECRET): Chromium publishes over WHIP relaying through TURN/UDP
// only, and watches over WHEP relaying through TURN/TCP only (a network
// that blocks UDP), each with the credential OPTIONS handed it; the room
// page's whep.js gets a credential the same way.
func TestInteropChromiumRelayOnly(t *testing.T) {
	const secret = "interop-turn-secret"
	turn := testenv.StartCoturn(t, secret)
	newTab := interopBrowser(t)
	base, app := startApp(t, testConfigWith(t, "", map[string]string{
		"SFU_TURN_URLS":   "turn:" + turn.Addr + "?transport=udp,turn:" + turn.Addr + "?transport=tcp",
		"SFU_TURN_SECRET": secret, "SFU_TURN_TTL": "1m"}))
	room, err := ops.CreateRoom(context.Background(), app.db, base, "interop relay", "relay", ops.RoomOptions{Public: true})
	if err != nil {
		t.Fatal(err)
	}
	pub := newTab()
	call(t, pub, fmt.Sprintf("publishRelay(%q, %q, false)", room.WHIPURL, room.PublishToken))
	waitUntil(t, 20*time.Second, "the relayed publisher's video at the SFU", func() bool { return len(videoLayers(roomStats(app, room.RoomID))) > 0 })
	if got := evalIn[string](t, pub, `pairOf("relayPub")`); got != "relay/udp" {
		t.Errorf("publisher's candidate %q, want relay/udp", got)
	}
	view := newTab()
	call(t, view, fmt.Sprintf("watchRelay(%q, true)", room.WHEPURL))
	waitUntil(t, 20*time.Second, "60 frames through TURN/TCP", func() bool { return evalIn[int](t, view, "window.frames") >= 60 })
	if got := evalIn[string](t, view, `pairOf("relayView")`); got != "relay/tcp" {
		t.Errorf("viewer's candidate %q, want relay/tcp", got)
	}
	t.Logf("publisher %s, viewer %s", evalIn[string](t, pub, `pairOf("relayPub")`), evalIn[string](t, view, `pairOf("relayView")`))

	// The room page asks the same way before its offer.
	page, cancel := chromedp.NewContext(view)
	defer cancel()
	if err := chromedp.Do(page, chromedp.Navigate(base+"/")); err != nil {
		t.Fatal(err)
	}
	servers := evalIn[[]map[string]string](t, page, fmt.Sprintf(`import("/whep.js").then((m) => m.iceServers(%q))`, room.RoomID))
	if len(servers) != 2 || servers[0]["username"] == "" || servers[0]["credential"] == "" {
		t.Errorf("whep.js iceServers() = %v, want the two TURN URLs with a minted credential", servers)
	}
}

// TestInteropChromiumSimulcast publishes Chromium's own three-layer
// simulcast (rid q, h, f) over WHIP: the SFU must receive all three layers,
// and a third-party WHEP player must decode the stream.
func TestInteropChromiumSimulcast(t *testing.T) {
	newTab := interopBrowser(t)
	base, app := startApp(t, testConfig(t, ""))
	room, err := ops.CreateRoom(context.Background(), app.db, base, "interop simulcast", "simulcast", ops.RoomOptions{Public: true})
	if err != nil {
		t.Fatal(err)
	}
	pub := newTab()
	call(t, pub, fmt.Sprintf("publishSimulcast(%q, %q)", room.WHIPURL, room.PublishToken))
	waitUntil(t, 20*time.Second, "three simulcast layers at the SFU", func() bool { return len(videoLayers(roomStats(app, room.RoomID))) == 3 })
	layers := videoLayers(roomStats(app, room.RoomID))
	for _, rid := range []string{"q", "h", "f"} {
		if layers[rid] == 0 {
			t.Errorf("layer %q carried no packets: %v", rid, layers)
		}
	}
	t.Logf("Chromium's layers: %v; packets at the SFU: %v", evalIn[map[string]any](t, pub, "simulcastLayers()"), layers)
	watchWith(t, newTab, app, room, "simulcast viewer")
	if st := evalIn[int](t, pub, "unpublishSimulcast()"); st != 200 {
		t.Errorf("WHIP DELETE = %d, want 200", st)
	}
	waitUntil(t, 5*time.Second, "the publisher gone", func() bool { return roomStats(app, room.RoomID).Publisher == nil })
}
