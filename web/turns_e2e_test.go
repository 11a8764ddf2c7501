package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/bidcast/bidcast/internal/testenv"
)

// relayProtocol is JavaScript giving how a peer connection's selected local
// relay candidate reaches its TURN server ("udp", "tcp", "tls"), or "".
func relayProtocol(pc string) string {
	return `(async () => {
		const pc = ` + pc + `;
		if (!pc) return "";
		const stats = await pc.getStats();
		let pair = null;
		stats.forEach((r) => { if (r.type === "transport" && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId); });
		return (pair && stats.get(pair.localCandidateId)?.relayProtocol) || "";
	})()`
}

// TestTURNOverTLSInChromium: with only a turns: URL (TURN over TLS, for
// networks that let nothing but TLS out), the studio broadcasts and the
// room page watches, both forced to relay-only, reaching coturn over TLS.
// Chromium checks the TURN server's certificate as it checks a web site's;
// the test's self-signed one is trusted through
// --ignore-certificate-errors-spki-list, as a real deployment's would be
// through its CA.
func TestTURNOverTLSInChromium(t *testing.T) {
	chromium := requireChromium(t)
	cert := testenv.SelfSignedCert(t, t.TempDir())
	turn := testenv.StartCoturnTLS(t, relaySecret, cert.CertFile, cert.KeyFile)
	base, bin, env := e2eServer(t, "SFU_TURN_URLS=turns:"+turn.TLSAddr+"?transport=tcp", "SFU_TURN_SECRET="+relaySecret)
	room := createE2ERoom(t, bin, env)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	alloc, allocCancel := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("use-fake-device-for-media-stream", true), chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"), chromedp.Flag("mute-audio", true),
		chromedp.Flag("disable-features", "WebRtcHideLocalIpsWithMdns"), chromedp.Flag("lang", "en-US"),
		chromedp.Flag("ignore-certificate-errors-spki-list", cert.SPKI))...)
	defer allocCancel()
	browser, browserCancel := chromedp.NewContext(alloc)
	defer browserCancel()
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	seller, viewer := newTab(t, browser), newTab(t, browser)
	goLiveRelayOnly(t, base, room, seller, viewer)
	if got := awaitString(t, seller, relayProtocol(`window.bidcastStudio.live.pc`)); got != "tls" {
		t.Errorf("the studio reaches TURN over %q, want tls", got)
	}

	run(t, "the viewer opens the room", viewer, chromedp.Navigate(base+"/rooms/"+room.RoomID+"?name=Tess"))
	waitJS(t, viewer, "decoded video", `document.querySelector("video[data-bidcast-video]").videoWidth > 0`)
	if got := awaitString(t, viewer, relayProtocol(`window.bidcast.framesDecoded.player.pc`)); got != "tls" {
		t.Errorf("the viewer reaches TURN over %q, want tls", got)
	}
}
