package web_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/bidcast/bidcast/internal/testenv"
)

// relaySecret is the shared secret of the test's coturn.
const relaySecret = "bidcast-e2e-turn-secret"

// selectedLocalType is JavaScript giving the local candidate type
// ("relay", "host", ...) of a peer connection's selected pair, or "".
func selectedLocalType(pc string) string {
	return `(async () => {
		const pc = ` + pc + `;
		if (!pc) return "";
		const stats = await pc.getStats();
		let pair = null, local = "";
		stats.forEach((r) => { if (r.type === "transport" && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId); });
		if (pair) local = stats.get(pair.localCandidateId)?.candidateType || "";
		return local;
	})()`
}

// awaitString evaluates an expression to a string, awaiting a promise.
func awaitString(t *testing.T, tab context.Context, expr string) string {
	t.Helper()
	s, err := chromedp.Run(tab, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return s
}

// TestRelayOnlyInChromium: with SFU_TURN_URLS and SFU_TURN_SECRET set, and
// both pages forced to relay-only ICE (localStorage's
// bidcast.iceTransportPolicy, the pages' test hook), the studio still
// broadcasts over the WebSocket (media.ice gives it a minted TURN
// credential) and the room page still decodes the video over WHEP (its
// OPTIONS gives one), both through coturn on loopback: as a seller and a
// viewer on a network that blocks UDP to the server would.
func TestRelayOnlyInChromium(t *testing.T) {
	chromium := requireChromium(t)
	turn := testenv.StartCoturn(t, relaySecret)
	base, bin, env := e2eServer(t, "SFU_TURN_URLS=turn:"+turn.Addr+"?transport=udp", "SFU_TURN_SECRET="+relaySecret,
		"CLIENT_LIMITS_DISABLED=true") // the viewers below all come from 127.0.0.1
	room := createE2ERoom(t, bin, env)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second+time.Duration(2*relayViewers())*5*time.Second)
	defer cancel()
	browser := newBrowser(ctx, t, chromium)
	seller, viewer := newTab(t, browser), newTab(t, browser)
	goLiveRelayOnly(t, base, room, seller, viewer)
	if got := awaitString(t, seller, selectedLocalType(`window.bidcastStudio.live.pc`)); got != "relay" {
		t.Errorf("the studio's selected candidate is %q, want relay", got)
	}
	if got := evalString(t, seller, `window.bidcastStudio.live.pc.getConfiguration().iceTransportPolicy`); got != "relay" {
		t.Fatalf("the studio's iceTransportPolicy is %q: the test hook did not take", got)
	}

	run(t, "the viewer opens the room", viewer, chromedp.Navigate(base+"/rooms/"+room.RoomID+"?name=Vera"))
	waitJS(t, viewer, "decoded video", `document.querySelector("video[data-bidcast-video]").videoWidth > 0`)
	for deadline := time.Now().Add(30 * time.Second); evalInt(t, viewer, `window.bidcast.framesDecoded()`) <= 10; {
		if time.Now().After(deadline) {
			t.Fatal("the relayed viewer decoded no more than 10 frames in 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := awaitString(t, viewer, selectedLocalType(`window.bidcast.framesDecoded.player.pc`)); got != "relay" {
		t.Errorf("the viewer's selected candidate is %q, want relay", got)
	}

	// First frames, relayed and direct: BIDCAST_RELAY_VIEWERS viewers of
	// each kind (default 1) open the room one after another; the figures
	// are logged for docs/PERFORMANCE.md, never held to a target here.
	n := relayViewers()
	for _, relay := range []bool{false, true} {
		var fromPost, fromICE, fromLoad []float64
		for i := 0; i < n; i++ {
			ff := firstFrame(t, browser, base+"/rooms/"+room.RoomID+"?name=V"+strconv.Itoa(i), relay)
			fromPost, fromICE, fromLoad = append(fromPost, ff.FromPost), append(fromICE, ff.FromICE), append(fromLoad, ff.FromLoad)
		}
		t.Logf("relay-only %v, %d viewers: WHEP POST → first frame %s; ICE connected → first frame %s; navigation → first frame %s",
			relay, n, percentiles(fromPost), percentiles(fromICE), percentiles(fromLoad))
	}
}

// relayViewers is BIDCAST_RELAY_VIEWERS, default 1.
func relayViewers() int {
	if v, err := strconv.Atoi(os.Getenv("BIDCAST_RELAY_VIEWERS")); err == nil && v > 0 {
		return v
	}
	return 1
}

// firstFrameTimes are the milliseconds to a viewer's first video frame.
type firstFrameTimes struct {
	FromPost float64 `json:"post"` // from its WHEP POST
	FromICE  float64 `json:"ice"`  // from ICE connected
	FromLoad float64 `json:"load"` // from the start of navigation
}

// firstFrame opens the room page in a tab of its own (relay: forced to
// relay-only ICE) and times its first video frame. A script installed
// before the page's own times the POST (a fetch wrapper), ICE (a wrapped
// RTCPeerConnection) and the frame (requestVideoFrameCallback on the
// player's <video>).
func firstFrame(t *testing.T, browser context.Context, url string, relay bool) firstFrameTimes {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	defer cancel()
	hook := fmt.Sprintf(`(() => {
		if (%t) localStorage.setItem("bidcast.iceTransportPolicy", "relay");
		window.whepPostAt = 0; window.firstFrameAt = 0;
		const fetch0 = window.fetch;
		window.fetch = function (input, init) {
			const u = typeof input === "string" ? input : input.url;
			if ((init?.method || "GET") === "POST" && u.includes("/whep/")) window.whepPostAt = performance.now();
			return fetch0.apply(this, arguments);
		};
		window.iceAt = 0;
		const PC = window.RTCPeerConnection;
		window.RTCPeerConnection = function (...args) {
			const pc = new PC(...args);
			pc.addEventListener("iceconnectionstatechange", () => {
				if (!window.iceAt && (pc.iceConnectionState === "connected" || pc.iceConnectionState === "completed")) window.iceAt = performance.now();
			});
			return pc;
		};
		window.RTCPeerConnection.prototype = PC.prototype;
		document.addEventListener("DOMContentLoaded", () => {
			document.querySelector("video[data-bidcast-video]")?.requestVideoFrameCallback(() => { window.firstFrameAt = performance.now(); });
		});
	})()`, relay)
	install := func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: hook})
		return chromedp.Void{}, err
	}
	run(t, "open the room", tab, install, chromedp.Navigate(url))
	waitJS(t, tab, "the first frame", `window.firstFrameAt > 0 && window.whepPostAt > 0 && window.iceAt > 0`)
	want := map[bool]string{false: "host", true: "relay"}[relay]
	if got := awaitString(t, tab, selectedLocalType(`window.bidcast.framesDecoded.player.pc`)); got != want {
		t.Errorf("relay-only %v: selected candidate %q, want %s", relay, got, want)
	}
	ff, err := chromedp.Run(tab, chromedp.Evaluate[firstFrameTimes](`({post: window.firstFrameAt - window.whepPostAt,
		ice: window.firstFrameAt - window.iceAt, load: window.firstFrameAt})`))
	if err != nil {
		t.Fatal(err)
	}
	return ff
}

// percentiles formats p50 / p95 (nearest rank) / max of ms.
func percentiles(ms []float64) string {
	s := slices.Clone(ms)
	slices.Sort(s)
	at := func(p float64) float64 { return s[max(0, int(math.Ceil(p*float64(len(s))))-1)] } // nearest rank
	return fmt.Sprintf("p50 %.0f / p95 %.0f / max %.0f ms", at(0.5), at(0.95), s[len(s)-1])
}

// goLiveRelayOnly forces relay-only ICE in the seller's and the viewer's
// tabs (the pages' test hook), then takes the room live from the studio.
func goLiveRelayOnly(t *testing.T, base string, room e2eRoom, seller, viewer context.Context) {
	t.Helper()
	for _, tab := range []context.Context{seller, viewer} {
		run(t, "force relay-only ICE", tab, chromedp.Navigate(base+"/login"),
			js(`localStorage.setItem("bidcast.iceTransportPolicy", "relay")`))
	}
	run(t, "the seller opens the studio", seller, chromedp.Navigate(studioURL(room)))
	waitJS(t, seller, "the studio's lot queue", `window.bidcastStudio?.catalog.lots.length === 1`)
	click(t, "go live", seller, "go-live")
	waitJS(t, seller, "the broadcast on air", `window.bidcastStudio.onAir === true`)
}
