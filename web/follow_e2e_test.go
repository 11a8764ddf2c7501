package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestFollowASellerInChromium has a viewer follow the seller from the room
// page before the show, the seller go live from the studio, and the viewer
// find the "live now" notice in the account page's inbox and the seller
// in its list of followed sellers, with a link to the live room.
func TestFollowASellerInChromium(t *testing.T) {
	s := newChromeShow(t)
	base, room := s.base, s.room
	seller, fan := newTab(t, s.browser), newTab(t, s.browser)
	phone := phoneSize

	run(t, "the fan opens the room before the show", fan, phone, chromedp.Navigate(base+"/rooms/"+room.RoomID+"?name=Fan"))
	waitJS(t, fan, "the Follow button", `document.getElementById("follow").offsetParent !== null &&
		document.getElementById("follow").textContent === "Follow"`)
	click(t, "follow the seller", fan, "follow")
	waitJS(t, fan, "the button says Following", `document.getElementById("follow").getAttribute("aria-pressed") === "true" &&
		document.getElementById("follow").textContent.startsWith("Following")`)
	shoot(t, fan, "room-follow-phone")

	run(t, "the seller opens the studio", seller, phone, chromedp.Navigate(studioURL(room)))
	waitJS(t, seller, "the studio's lot queue", `window.bidcastStudio?.catalog.lots.length === 1`)
	if n := evalInt(t, seller, `document.querySelectorAll("#follow:not(.hidden)").length`); n != 0 {
		t.Errorf("the studio shows a Follow button")
	}
	click(t, "go live", seller, "go-live")
	waitJS(t, seller, "the broadcast on air", `window.bidcastStudio.onAir === true`)

	run(t, "the fan opens the account page", fan, chromedp.Navigate(base+"/account"))
	waitJS(t, fan, "the live notice in the inbox", `[...document.querySelectorAll("#inbox li[data-kind=seller_live] a")].some((a) =>
		a.textContent.startsWith("Live now: E2E cameras") && a.getAttribute("href") === "/rooms/`+room.RoomID+`")`)
	waitJS(t, fan, "the seller among the followed, live", `[...document.querySelectorAll("#following li a")].some((a) =>
		a.textContent.includes("live now") && a.getAttribute("href") === "/rooms/`+room.RoomID+`")`)
	shoot(t, fan, "account-following-phone")

	// Unfollow from the account page: the row goes, and the room page says Follow again.
	run(t, "unfollow", fan, js(`document.querySelector("#following li button").click()`))
	waitJS(t, fan, "the row gone", `document.querySelectorAll("#following li button").length === 0`)
	run(t, "back to the room", fan, chromedp.Navigate(base+"/rooms/"+room.RoomID))
	waitJS(t, fan, "the Follow button again", `document.getElementById("follow").getAttribute("aria-pressed") === "false"`)
}
