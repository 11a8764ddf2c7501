package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestDemoRoomInChromium starts the server as `make run` does (DEMO=true)
// and checks what a newcomer sees: the lobby lists the demo room; its page
// plays the built-in test pattern, a lot is running, and a guest's bid
// with the button is accepted.
func TestDemoRoomInChromium(t *testing.T) {
	chromium := requireChromium(t)
	base, _, _ := e2eServer(t, "DEMO=true", "AUTH_GUESTS_MAY_BID=", "BID_POLL_INTERVAL=100ms")

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	browser := newBrowser(ctx, t, chromium)
	guest := newTab(t, browser)
	run(t, "open the lobby", guest, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(base+"/"))
	waitJS(t, guest, "the demo room in the lobby", `[...document.querySelectorAll("#live a.card")].some((a) => a.textContent.includes("Bidcast demo"))`)
	run(t, "enter the demo room", guest,
		js(`[...document.querySelectorAll("#live a.card")].find((a) => a.textContent.includes("Bidcast demo")).click()`))
	waitJS(t, guest, "the test pattern", `document.querySelector("video[data-bidcast-video]")?.videoWidth === 640`)
	waitJS(t, guest, "a running lot", `!document.getElementById("bid").disabled && document.getElementById("lot-title").textContent !== ""`)
	click(t, "bid as a guest", guest, "bid")
	waitJS(t, guest, "the acceptance", `document.getElementById("message").textContent.startsWith("Your bid is in")`)
	shoot(t, guest, "demo-room-phone")
}
