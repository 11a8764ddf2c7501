package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAuctionInChromium runs one show end to end through the real server
// and headless Chromium, every step through the pages themselves, from a
// seller's first run to the show summary:
//
//  0. a seller with nothing yet, signed in with a login link, follows the
//     studio's guide: a show guests may bid in, an item, a soft-close lot;
//  1. the seller goes live and broadcasts the fake camera over the
//     WebSocket;
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
// goes live, without a reload. Then the studio's summary and CSV, the
// lobby, the account page (the won lot, the inbox) and the sign-in page;
// last the seller ends the show. Screenshots of each page go to
// artifacts/e2e/.
func TestAuctionInChromium(t *testing.T) {
	chromium := requireChromium(t)
	started := time.Now()
	base, bin, env := e2eServer(t)

	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	browser := newBrowser(ctx, t, chromium)
	seller, alice, bob := newTab(t, browser), newTab(t, browser), newTab(t, browser)

	// 0. A seller with nothing yet follows the studio's guide on a phone: a
	// show guests may bid in, an item, a lot of 12 s whose last 10 s a bid
	// extends (soft close).
	run(t, "the new seller opens the studio", seller,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(newSellerLink(t, bin, env, "e2e-seller")+"?return_to="+url.QueryEscape("/studio")))
	waitJS(t, seller, "the guide", `document.getElementById("guide").offsetParent !== null`)
	run(t, "name the show", seller, js(`document.getElementById("room-title").value = "E2E cameras",
		document.getElementById("room-guests").checked = true, document.getElementById("room-form").requestSubmit()`))
	waitJS(t, seller, "the show made", `window.bidcastStudio.ctx.room?.guests_may_bid === true`)
	run(t, "add an item with a photo", seller, chromedp.SetUploadFiles("#item-files", []string{writePNG(t)}),
		js(`document.getElementById("item-title").value = "Lot 1", document.getElementById("item-form").requestSubmit()`))
	waitJS(t, seller, "the item in the lot form", `document.getElementById("lot-item").options.length === 1`)
	waitJS(t, seller, "the photo processed", `document.querySelectorAll("#items .tile.ready img").length === 1`)
	run(t, "queue the lot", seller, js(`document.getElementById("lot-duration").value = "12",
		document.getElementById("lot-policy").value = "soft-close", document.getElementById("lot-policy").onchange(),
		document.getElementById("lot-window").value = "10", document.getElementById("lot-form").requestSubmit()`))
	waitJS(t, seller, "the studio's lot queue", `window.bidcastStudio?.catalog.lots.length === 1`)
	waitJS(t, seller, "the guide at its last step", `document.querySelectorAll("#guide-steps li.done").length === 3`)
	room := e2eRoom{RoomID: evalString(t, seller, `window.bidcastStudio.ctx.room.id`),
		LotIDs: []string{evalString(t, seller, `window.bidcastStudio.catalog.lots[0].id`)}}

	// Bob waits in the room on a phone before the show starts.
	page := base + "/rooms/" + room.RoomID
	run(t, "bob opens the room on a phone", bob,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(page+"?name=Bob"))
	waitJS(t, bob, "not live yet", `document.getElementById("message").textContent === "This room is not live."`)
	waitJS(t, bob, "the not-started notice", `document.getElementById("offline").textContent === "The show has not started yet." &&
		document.getElementById("offline").offsetParent !== null && document.getElementById("live-dot").offsetParent === null`)
	shoot(t, bob, "room-waiting-phone")

	// 1. The seller goes live from the studio on a phone-sized page; the
	// guide, its work done, goes away.
	click(t, "go live", seller, "go-live")
	waitJS(t, seller, "the broadcast on air", `window.bidcastStudio.onAir === true`)
	waitJS(t, seller, "the camera preview", `document.getElementById("preview").videoWidth > 0`)
	waitJS(t, seller, "the guide gone", `document.getElementById("guide").offsetParent === null`)

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
	waitJS(t, bob, "the notice gone with the video", `document.getElementById("offline").offsetParent === null &&
		document.getElementById("live-dot").offsetParent !== null`)

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
	waitJS(t, alice, "the leader named as you", `document.getElementById("leader").textContent === "Leader: you"`)

	// 4. Bob sees the new price; the seller's studio too.
	waitJS(t, bob, "the new price", `document.getElementById("price").textContent.includes("10,000")`)
	waitJS(t, seller, "the price in the studio", `document.getElementById("price").textContent.includes("10,000")`)
	waitJS(t, seller, "the leader in the studio", `document.getElementById("lot-leader").textContent.startsWith("Leader: Bidder ")`)

	// 5. A too-low bid shows why it was refused.
	run(t, "bob bids too low", bob, js(`window.bidcast.placeBid(5000)`))
	waitJS(t, bob, "the rejection", `document.getElementById("message").textContent.startsWith("Too low")`)
	// It states the minimum the lot takes now.
	waitJS(t, bob, "the minimum in the rejection", `document.getElementById("message").textContent ===
		"Too low: the minimum bid now is " + new Intl.NumberFormat("en", {style: "currency", currency: "KRW"})
			.format(window.bidcast.state.lot.next_min.amount) + "."`)
	// A typed amount that is not a number says so, before anything is sent.
	click(t, "bob opens the amount sheet", bob, "more")
	waitJS(t, bob, "the sheet with the minimum", `document.getElementById("sheet").offsetParent !== null &&
		document.getElementById("sheet-note").textContent.startsWith("Minimum bid now: ")`)
	run(t, "bob types letters", bob, chromedp.SetValue("#custom", "abc"), js(`document.getElementById("custom-bid").click()`))
	waitJS(t, bob, "not a number", `document.getElementById("message").textContent.startsWith("That is not a number")`)
	shoot(t, alice, "room-desktop")
	shoot(t, bob, "room-phone")

	// Alice's connection drops (held down: the automatic retry is put off
	// for 10 minutes): the page says it is reconnecting, freezes bidding and
	// claims no lead. Then it rejoins with resume_from and catches up
	// without a reload (the close below reaches it).
	run(t, "drop alice's socket", alice, js(`window.bidcast.socket.backoff = 600000, window.bidcast.socket.ws.close()`))
	waitJS(t, alice, "the reconnecting state", `document.getElementById("conn").textContent === "Reconnecting…" &&
		document.getElementById("bid").disabled && document.getElementById("status").classList.contains("hidden") &&
		document.getElementById("why").textContent.startsWith("Reconnecting")`)
	shoot(t, alice, "room-reconnecting")
	run(t, "alice reconnects", alice, js(`window.bidcast.socket.connect()`))
	waitJS(t, alice, "the resumed join", `window.bidcast.socket.rejoins > 0`)
	waitJS(t, alice, "the reconnected state", `document.getElementById("conn").classList.contains("hidden")`)

	// 6. The lot closes: the winner's banner and the other viewer's result.
	waitJS(t, alice, "the winner banner", `document.getElementById("banner").textContent.startsWith("You won")`)
	waitJS(t, alice, "what happens next", `document.querySelector("#banner a[href='/account']") !== null`)
	// The won notification arrives as a toast linking to the inbox.
	waitJS(t, alice, "the won toast", `document.getElementById("toast").dataset.kind === "won" &&
		document.getElementById("toast").getClientRects().length > 0 && document.getElementById("toast").textContent.startsWith("You won ")`)
	// Others see the winner, the leader and the history by the winner's
	// room alias, never an ID.
	waitJS(t, bob, "the result", `document.getElementById("banner").textContent.startsWith("Sold to Bidder ")`)
	waitJS(t, bob, "the history by alias", `document.getElementById("history").textContent.includes("· Bidder ")`)
	waitJS(t, bob, "the leader by alias", `document.getElementById("leader").textContent.includes(": Bidder ")`)
	shoot(t, alice, "room-won")
	// The seller sees the winner; with the queue empty, no next lot to start.
	waitJS(t, seller, "the winner in the studio", `document.getElementById("lot-leader").textContent.startsWith("Sold to Bidder ")`)
	waitJS(t, seller, "no next lot", `document.getElementById("lot-next").disabled`)
	shoot(t, seller, "studio-sold-phone")
	// The show summary on demand: the lot, sold, the winner by name and
	// alias, the total; and the same as CSV, made in the browser.
	click(t, "show the summary", seller, "summary-show")
	waitJS(t, seller, "the summary", `[...document.querySelectorAll("#summary-rows tr[data-outcome=sold]")].some((tr) =>
		tr.textContent.includes("₩10,000") && tr.textContent.includes("Alice (Bidder ")) &&
		document.getElementById("summary-totals").textContent === "Closed: 1 · Sold: 1 · Not sold: 0 · Total: ₩10,000" &&
		!document.getElementById("summary-csv").disabled`)
	csv, err := chromedp.Run(seller, chromedp.Evaluate[string](`window.bidcastStudio.summary.csv()`))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(csv), "\r\n"); len(lines) != 2 ||
		lines[0] != "lot_id,item,outcome,price,currency,winner_alias,winner_name,closed_at" ||
		!strings.HasPrefix(lines[1], room.LotIDs[0]+",Lot 1,sold,10000,KRW,Bidder ") || !strings.Contains(lines[1], ",Alice,") {
		t.Errorf("summary CSV:\n%s", csv)
	}
	run(t, "scroll to the summary", seller, js(`document.getElementById("summary").scrollIntoView()`))
	shoot(t, seller, "studio-summary-phone")
	// The next lot starts clean: no result, no lead or outbid status, no old
	// message, no history (the lot.started event is handed to the page).
	run(t, "a next lot starts", alice, js(`window.bidcast.applyEvent("lot.started", {lot_id: "00000000-0000-4000-8000-000000000001",
		status: "live", next_min: {amount: 10000, currency: "KRW"}, deadline: new Date(Date.now() + 60000).toISOString()})`))
	waitJS(t, alice, "the reset lot", `document.getElementById("price").textContent === "No bids yet" &&
		document.getElementById("banner").classList.contains("hidden") && document.getElementById("status").classList.contains("hidden") &&
		document.getElementById("message").textContent === "" && document.getElementById("history").childElementCount === 0`)

	// A room that does not exist: a "no such room" page, no socket, no
	// player, no guest account made.
	nowhere := newTab(t, browser)
	run(t, "open a room that does not exist", nowhere,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(base+"/rooms/00000000-0000-4000-8000-00000000dead?name=Lost"))
	waitJS(t, nowhere, "the no-such-room notice", `document.getElementById("gone-title").textContent === "No such room" &&
		document.getElementById("gone").offsetParent !== null && document.getElementById("live-dot").offsetParent === null &&
		document.getElementById("bid").offsetParent === null && window.bidcast.socket === undefined &&
		window.bidcast.framesDecoded === undefined`)
	if status := evalInt(t, nowhere, `fetch("/auth/me").then((r) => r.status)`); status != 401 {
		t.Errorf("/auth/me after a missing room answered %d, want 401 (no guest account)", status)
	}
	shoot(t, nowhere, "room-missing-phone")

	// The other pages.
	run(t, "open the lobby", bob, chromedp.Navigate(base+"/"))
	waitJS(t, bob, "the lobby lists the room", `document.querySelectorAll("#live a.card").length > 0`)
	shoot(t, bob, "lobby-phone")
	run(t, "open the account page on a phone", alice,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile), chromedp.Navigate(base+"/account"))
	waitJS(t, alice, "the won lot", `document.querySelectorAll("#wins a").length === 1`)
	waitJS(t, alice, "the won item's photo", `document.querySelector("#wins img.win-photo")?.complete &&
		document.querySelector("#wins img.win-photo").naturalWidth > 0`)
	// The inbox lists the won notification, unread on this first look,
	// and marks it read on the server.
	waitJS(t, alice, "the inbox's won entry", `[...document.querySelectorAll("#inbox li[data-kind=won].unread")]
		.some((li) => li.textContent.startsWith("You won ") && li.textContent.includes("₩10,000"))`)
	for deadline := time.Now().Add(10 * time.Second); evalInt(t, alice, `fetch("/api/v1/me/notifications").then((r) => r.json())
		.then((b) => b.items.length > 0 && b.items.every((n) => n.read_at) ? 1 : 0)`) != 1; {
		if time.Now().After(deadline) {
			t.Fatal("the inbox did not mark its notifications read")
		}
		time.Sleep(100 * time.Millisecond)
	}
	shoot(t, alice, "account-phone")
	login := newTab(t, browser)
	run(t, "open the sign-in page", login, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(base+"/login"))
	waitJS(t, login, "the guest form", `document.getElementById("guest-go").textContent !== ""`)
	// With no identity provider set up, the page says how to go on.
	waitJS(t, login, "the no-provider hint", `document.getElementById("no-providers").textContent.includes("as a guest") &&
		document.getElementById("no-providers").textContent.includes("AUTH_")`)
	shoot(t, login, "login-phone")

	// A viewer watching when the show ends: the player stops (no more WHEP
	// retries) and the page says the show has ended.
	late := newTab(t, browser)
	run(t, "a late viewer opens the room", late,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile), chromedp.Navigate(page+"?name=Late"))
	waitJS(t, late, "the late viewer's video", `document.querySelector("video[data-bidcast-video]").videoWidth > 0`)

	// The seller ends the show; the studio opened on the ended show shows
	// its summary by itself.
	run(t, "the seller ends the show", seller, js(`window.confirm = () => true, document.getElementById("end-show").click()`))
	waitJS(t, seller, "the ended show", `window.bidcastStudio.ctx.room?.status === "ended"`)
	waitJS(t, late, "the player stopped", `window.bidcast.framesDecoded.player.stopped === true &&
		document.getElementById("offline").textContent === "This show has ended." &&
		document.getElementById("offline").offsetParent !== null`)
	// Opened after the end, the room starts no player at all.
	run(t, "open the ended room", late, chromedp.Navigate(page+"?name=Late"))
	waitJS(t, late, "the ended room without a player", `window.bidcast.framesDecoded?.player === null &&
		window.bidcast.state.notLive === true && document.getElementById("message").textContent === "" &&
		document.getElementById("lot-title").textContent === "" &&
		document.getElementById("offline").textContent === "This show has ended." &&
		document.getElementById("offline").offsetParent !== null`)
	shoot(t, late, "room-ended-phone")
	run(t, "reopen the studio", seller, chromedp.Navigate(base+"/studio?room="+room.RoomID))
	waitJS(t, seller, "the summary of the ended show", `window.bidcastStudio?.ctx.room?.status === "ended" &&
		document.getElementById("summary-body").offsetParent !== null &&
		document.querySelectorAll("#summary-rows tr[data-outcome=sold]").length === 1`)
	t.Logf("end to end in %s", time.Since(started).Round(100*time.Millisecond))
}
