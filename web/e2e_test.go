package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAuctionInChromium runs one show end to end through the real server
// and headless Chromium, every step through the pages themselves:
//
//  1. the seller, signed in with a login link, opens the studio, goes live
//     and broadcasts the fake camera over the WebSocket;
//  2. a viewer's room page decodes the video (videoWidth > 0 and
//     framesDecoded rising in getStats);
//  3. the seller starts the lot; the viewer bids with the button and sees
//     the bid accepted and the soft-close clock extended;
//  4. a second viewer, on a phone-sized page, sees the new price;
//  5. a too-low bid shows its rejection message;
//  6. the first viewer's socket drops and resumes without a reload; the
//     lot closes and the winner's banner shows.
//
// A second viewer waits in the room before the show starts and joins when it
// goes live, without a reload. Then the lobby, the account page (the won lot) and the sign-in page are
// opened. Screenshots of each page go to artifacts/e2e/.
func TestAuctionInChromium(t *testing.T) {
	chromium := requireChromium(t)
	started := time.Now()
	base, bin, env := e2eServer(t)
	room := createE2ERoom(t, bin, env)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	browser := newBrowser(ctx, t, chromium)
	seller, alice, bob := newTab(t, browser), newTab(t, browser), newTab(t, browser)

	// Bob waits in the room on a phone before the show starts.
	page := base + "/rooms/" + room.RoomID
	run(t, "bob opens the room on a phone", bob,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(page+"?name=Bob"))
	waitJS(t, bob, "not live yet", `document.getElementById("message").textContent === "This room is not live."`)

	// 1. The seller goes live from the studio on a phone-sized page.
	run(t, "the seller opens the studio", seller,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(studioURL(room)))
	waitJS(t, seller, "the studio's lot queue", `window.bidcastStudio?.catalog.lots.length === 1`)
	click(t, "go live", seller, "go-live")
	waitJS(t, seller, "the broadcast on air", `window.bidcastStudio.onAir === true`)
	waitJS(t, seller, "the camera preview", `document.getElementById("preview").videoWidth > 0`)

	// 2. A viewer decodes the video.
	run(t, "alice opens the room", alice, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(page+"?name=Alice"))
	waitJS(t, alice, "decoded video", `document.querySelector("video[data-bidcast-video]").videoWidth > 0`)
	f0 := evalInt(t, alice, `window.bidcast.framesDecoded()`)
	time.Sleep(time.Second)
	if f1 := evalInt(t, alice, `window.bidcast.framesDecoded()`); f1 <= f0 || f0 == 0 {
		t.Fatalf("framesDecoded did not rise: %d then %d", f0, f1)
	}
	waitJS(t, bob, "decoded video on the phone", `document.querySelector("video[data-bidcast-video]").videoWidth > 0`)
	waitJS(t, bob, "bob joined once live", `window.bidcast.state.room?.status === "live"`)

	// 3. The seller starts the lot; Alice bids inside the last 10 s: the
	// bid is accepted and the soft-close clock extended.
	click(t, "start the lot", seller, "lot-next")
	waitJS(t, alice, "the bid button", `!document.getElementById("bid").disabled`)
	waitJS(t, bob, "the bid button", `!document.getElementById("bid").disabled`)
	shoot(t, seller, "studio-phone")
	waitJS(t, alice, "the last 10 s", `Date.parse(window.bidcast.state.lot.deadline) - Date.now() < 9000`)
	click(t, "alice bids", alice, "bid")
	waitJS(t, alice, "the acceptance", `document.getElementById("message").textContent.startsWith("Your bid is in")`)
	waitJS(t, alice, "the clock extended", `window.bidcast.state.clockChanges > 0`)
	waitJS(t, alice, "the leading status", `document.getElementById("status").textContent === "You are leading"`)

	// 4. Bob sees the new price; the seller's studio too.
	waitJS(t, bob, "the new price", `document.getElementById("price").textContent.includes("10,000")`)
	waitJS(t, seller, "the price in the studio", `document.getElementById("price").textContent.includes("10,000")`)

	// 5. A too-low bid shows why it was refused.
	run(t, "bob bids too low", bob, js(`window.bidcast.placeBid(5000)`))
	waitJS(t, bob, "the rejection", `document.getElementById("message").textContent.startsWith("Too low")`)
	shoot(t, alice, "room-desktop")
	shoot(t, bob, "room-phone")

	// Alice's connection drops: the page rejoins with resume_from and
	// catches up without a reload (the close below reaches it).
	run(t, "drop alice's socket", alice, js(`window.bidcast.socket.ws.close()`))
	waitJS(t, alice, "the resumed join", `window.bidcast.socket.rejoins > 0`)

	// 6. The lot closes: the winner's banner and the other viewer's result.
	waitJS(t, alice, "the winner banner", `document.getElementById("banner").textContent.startsWith("You won")`)
	// Others see the winner, the leader and the history by the winner's
	// room alias, never an ID.
	waitJS(t, bob, "the result", `document.getElementById("banner").textContent.startsWith("Sold to Bidder ")`)
	waitJS(t, bob, "the history by alias", `document.getElementById("history").textContent.includes("· Bidder ")`)
	waitJS(t, bob, "the leader by alias", `document.getElementById("leader").textContent.includes(": Bidder ")`)
	shoot(t, alice, "room-won")

	// The other pages.
	run(t, "open the lobby", bob, chromedp.Navigate(base+"/"))
	waitJS(t, bob, "the lobby lists the room", `document.querySelectorAll("#live a.card").length > 0`)
	shoot(t, bob, "lobby-phone")
	run(t, "open the account page", alice, chromedp.Navigate(base+"/account"))
	waitJS(t, alice, "the won lot", `document.querySelectorAll("#wins a").length === 1`)
	shoot(t, alice, "account")
	login := newTab(t, browser)
	run(t, "open the sign-in page", login, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(base+"/login"))
	waitJS(t, login, "the guest form", `document.getElementById("guest-go").textContent !== ""`)
	shoot(t, login, "login-phone")
	t.Logf("end to end in %s", time.Since(started).Round(100*time.Millisecond))
}
