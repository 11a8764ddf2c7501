package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
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

	// A Korean browser gets the Korean page.
	ko := newTab(t, browser)
	run(t, "open the demo room in Korean", ko, korean(), chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(base+"/"))
	waitJS(t, ko, "the Korean lobby", `document.getElementById("live-title").textContent === "지금 방송 중" &&
		document.querySelector("#live a.card") !== null`)
	run(t, "enter the demo room", ko, js(`document.querySelector("#live a.card").click()`))
	waitJS(t, ko, "the Korean bid button", `/입찰$/.test(document.getElementById("bid").textContent)`)
	shoot(t, ko, "demo-room-ko")
}

// korean makes the tab's browser language Korean (navigator.language).
func korean() chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		ua, err := chromedp.Evaluate[string](`navigator.userAgent`)(ctx, tg)
		if err != nil {
			return chromedp.Void{}, err
		}
		_, err = cdp.Call(ctx, tg, emulation.SetUserAgentOverride,
			emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: "ko-KR"})
		return chromedp.Void{}, err
	}
}
