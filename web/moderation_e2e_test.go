package web_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestStudioModeratesChatLinesInChromium has a viewer chat in a live room
// and the seller act on single lines from the studio's chat: Delete removes
// the line from the viewer's page, Mute 5 min refuses the viewer's next
// message with a reason, and Ban asks first (a No changes nothing), then
// shuts the viewer out with the reason on their page.
func TestStudioModeratesChatLinesInChromium(t *testing.T) {
	s := newChromeShow(t)
	base, room := s.base, s.room
	seller, mallory := newTab(t, s.browser), newTab(t, s.browser)
	phone := phoneSize
	run(t, "the seller opens the studio", seller, phone, chromedp.Navigate(studioURL(room)))
	waitJS(t, seller, "the studio's lot queue", `window.bidcastStudio?.catalog.lots.length === 1`)
	click(t, "go live", seller, "go-live")
	waitJS(t, seller, "the broadcast on air", `window.bidcastStudio.onAir === true`)
	run(t, "mallory opens the room", mallory, phone, chromedp.Navigate(base+"/rooms/"+room.RoomID+"?name=Mallory"))
	waitJS(t, mallory, "the live room", `window.bidcast?.state.room?.status === "live"`)

	say := func(text string) {
		t.Helper()
		run(t, "mallory says "+text, mallory, js(`document.getElementById("chat-text").value = `+strconv.Quote(text)+`,
			document.getElementById("chat-form").requestSubmit()`))
	}
	line := func(text string) string { // the studio's chat line with text
		return `[...document.querySelectorAll("#chat li")].find((li) => li.textContent.includes(` + strconv.Quote(text) + `))`
	}
	act := func(what, text, action string) {
		t.Helper()
		waitJS(t, seller, "the line "+text+" in the studio", line(text)+`?.querySelector('[data-action="`+action+`"]')`)
		run(t, what, seller, js(`document.getElementById("message").textContent = ""`),
			js(line(text)+`.querySelector('[data-action="`+action+`"]').click()`))
	}

	// Delete: the line leaves both pages.
	say("buy my fakes at example.invalid")
	waitJS(t, mallory, "mallory's line on her page", `document.getElementById("chat").textContent.includes("buy my fakes")`)
	act("the seller deletes the line", "buy my fakes", "chat.delete")
	waitJS(t, mallory, "the line gone from mallory's page", `!document.getElementById("chat").textContent.includes("buy my fakes")`)
	waitJS(t, seller, "the line gone from the studio", `!`+line("buy my fakes"))

	// Mute: her next message is refused, with the reason.
	say("still here")
	say("and here")
	waitJS(t, mallory, "mallory's lines on her page", `document.getElementById("chat").textContent.includes("and here")`)
	act("the seller mutes mallory", "still here", "mod.mute")
	waitJS(t, seller, "the mute confirmed", `document.getElementById("message").textContent === "Done."`)
	say("can you hear me")
	waitJS(t, mallory, "the mute's reason", `document.getElementById("message").textContent === "You are muted."`)
	shoot(t, seller, "studio-moderation-phone")

	// Ban: a No to the question changes nothing (the seller's next command,
	// sent after it on the same socket, reaches mallory in the room); a Yes
	// shuts her out.
	run(t, "the seller will say no", seller, js(`window.confirm = () => false`))
	act("the seller asks to ban mallory and says no", "still here", "mod.ban")
	act("the seller deletes another line", "and here", "chat.delete")
	waitJS(t, mallory, "the deletion on mallory's page", `!document.getElementById("chat").textContent.includes("and here")`)
	if msg := evalString(t, mallory, `document.getElementById("message").textContent`); msg == "You are banned from this room." {
		t.Fatalf("the seller said no, yet mallory was banned")
	}
	run(t, "the seller will say yes", seller, js(`window.confirm = () => true`))
	act("the seller bans mallory", "still here", "mod.ban")
	waitJS(t, mallory, "the ban's reason", `document.getElementById("message").textContent === "You are banned from this room."`)
}

// evalString evaluates an expression in the tab to a string.
func evalString(t *testing.T, tab context.Context, expr string) string {
	t.Helper()
	s, err := chromedp.Run(tab, chromedp.Evaluate[string](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return s
}
