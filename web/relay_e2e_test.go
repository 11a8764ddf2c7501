package web_test

import (
	"context"
	"testing"
	"time"

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
	base, bin, env := e2eServer(t, "SFU_TURN_URLS=turn:"+turn.Addr+"?transport=udp", "SFU_TURN_SECRET="+relaySecret)
	room := createE2ERoom(t, bin, env)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	browser := newBrowser(ctx, t, chromium)
	seller, viewer := newTab(t, browser), newTab(t, browser)
	for _, tab := range []context.Context{seller, viewer} {
		run(t, "force relay-only ICE", tab, chromedp.Navigate(base+"/login"),
			js(`localStorage.setItem("bidcast.iceTransportPolicy", "relay")`))
	}

	run(t, "the seller opens the studio", seller, chromedp.Navigate(studioURL(room)))
	waitJS(t, seller, "the studio's lot queue", `window.bidcastStudio?.catalog.lots.length === 1`)
	click(t, "go live", seller, "go-live")
	waitJS(t, seller, "the broadcast on air", `window.bidcastStudio.onAir === true`)
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
}
