package web_test

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestStudioCatalogInChromium uses the studio as a seller on a phone would:
// create a show (its publish token is shown), create an item with a photo
// (the upload's status turns ready), edit it, put it up as a lot with a
// reserve, an increment table and a soft-close clock, go live, and moderate
// a viewer's chat (delete, then mute).
func TestStudioCatalogInChromium(t *testing.T) {
	chromium := requireChromium(t)
	base, bin, env := e2eServer(t)
	room := createE2ERoom(t, bin, env)
	photo, clip := writePNG(t), writeClip(t)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	browser := newBrowser(ctx, t, chromium)
	seller, viewer := newTab(t, browser), newTab(t, browser)

	run(t, "the seller opens the studio", seller,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(studioURL(room)))
	waitJS(t, seller, "the studio", `window.bidcastStudio?.catalog.lots.length === 1`)

	// A new show: chosen at once, its token shown once.
	run(t, "create a show", seller, chromedp.SetValue("#room-title", "Studio test show"),
		js(`document.querySelector("#room-form button").click()`))
	waitJS(t, seller, "the new show chosen", `document.getElementById("room-select").options.length === 2 &&
		window.bidcastStudio.ctx.room.title === "Studio test show"`)
	waitJS(t, seller, "the publish token", `document.getElementById("token").textContent.length > 20`)
	newRoom, err := chromedp.Run(seller, chromedp.Evaluate[string](`window.bidcastStudio.ctx.room.id`))
	if err != nil {
		t.Fatal(err)
	}

	// An item with a photo; the upload is processed and shown.
	run(t, "fill the item", seller, chromedp.SetValue("#item-title", "Brass compass"),
		chromedp.SetValue("#item-description", "Works, slight patina."),
		chromedp.SetUploadFiles("#item-files", []string{photo, clip}))
	click(t, "save the item", seller, "item-save")
	waitJS(t, seller, "the photo and clip processed", `document.querySelectorAll("#items .tile.ready img").length === 2`)
	run(t, "edit the item", seller, js(`document.querySelector("#items li button").click()`),
		chromedp.SetValue("#item-title", "Brass pocket compass"))
	click(t, "save the edit", seller, "item-save")
	waitJS(t, seller, "the edited title", `document.getElementById("items").textContent.includes("Brass pocket compass")`)

	// The item as a lot with a reserve, increments and a soft close.
	run(t, "fill the lot", seller, chromedp.SetValue("#lot-opening", "25000"), chromedp.SetValue("#lot-reserve", "30000"),
		chromedp.SetValue("#lot-increments", "0:500, 20000:1000"), chromedp.SetValue("#lot-duration", "30"),
		js(`document.getElementById("lot-policy").value = "soft-close"`))
	run(t, "add the lot", seller, js(`document.querySelector("#lot-form > button").click()`))
	waitJS(t, seller, "the lot in the queue", `document.getElementById("lots").textContent.includes("Brass pocket compass · ₩25,000")`)

	// On air, and a viewer chats.
	click(t, "go live", seller, "go-live")
	waitJS(t, seller, "the broadcast on air", `window.bidcastStudio.onAir === true`)
	click(t, "switch camera", seller, "cam-flip")
	run(t, "the viewer opens the room", viewer, chromedp.Navigate(base+"/rooms/"+newRoom+"?name=Chatty"))
	waitJS(t, viewer, "the room joined", `window.bidcast.state.room !== null`)
	chat := func(text string) {
		run(t, "the viewer chats", viewer, chromedp.SetValue("#chat-text", text),
			js(`document.getElementById("chat-send").click()`))
	}
	chat("first message")
	waitJS(t, seller, "the message in the studio", `document.getElementById("chat").textContent.includes("first message")`)

	// Delete it: it disappears for the viewer too.
	run(t, "delete the message", seller, js(`document.querySelector("#chat li .tools button").click()`))
	waitJS(t, viewer, "the message gone", `!document.getElementById("chat").textContent.includes("first message")`)

	// Mute the viewer: their next message is refused with its sentence.
	time.Sleep(1100 * time.Millisecond) // chat.send allows one a second
	chat("second message")
	waitJS(t, seller, "the second message", `document.getElementById("chat").textContent.includes("second message")`)
	run(t, "mute the viewer", seller, js(`document.querySelectorAll("#chat li .tools")[0].children[1].click()`))
	waitJS(t, seller, "the mute done", `document.getElementById("message").textContent === "Done."`)
	time.Sleep(1100 * time.Millisecond)
	chat("third message")
	waitJS(t, viewer, "the muted message", `document.getElementById("message").textContent.startsWith("You are muted")`)

	// Start the lot: the viewer sees its title and opening price.
	click(t, "start the lot", seller, "lot-next")
	waitJS(t, viewer, "the lot's title", `document.getElementById("lot-title").textContent === "Brass pocket compass"`)
	waitJS(t, viewer, "the next bid", `document.getElementById("bid").textContent.includes("25,000")`)
	// The show takes no guest bids: the guest is told why and offered sign-in.
	waitJS(t, viewer, "the guest's reason", `document.getElementById("why").textContent === "Guests can't bid in this room — sign in to bid." &&
		document.getElementById("bid").textContent.startsWith("Sign in to bid") && !document.getElementById("bid").disabled`)
	// The lot's photo shows, and its clip plays (the MP4 fallback in Chromium).
	waitJS(t, viewer, "the lot's photo", `document.querySelector("#lot-photos img")?.naturalWidth > 0`)
	run(t, "play the lot's clip", viewer, js(`document.querySelector("#lot-photos video").play()`))
	waitJS(t, viewer, "the clip decoding", `document.querySelector("#lot-photos video").videoWidth > 0`)
	waitJS(t, seller, "the studio's clock", `/^\d+:\d\d$/.test(document.getElementById("clock").textContent)`)
	shoot(t, seller, "studio-catalog-phone")
	shoot(t, viewer, "room-muted")

	// The seller stops broadcasting: the viewer is told over the player.
	click(t, "stop the broadcast", seller, "stop-air")
	waitJS(t, viewer, "the seller offline", `document.getElementById("offline").offsetParent !== null &&
		document.getElementById("offline").textContent.startsWith("The seller is offline")`)
	shoot(t, viewer, "room-seller-offline")
}

// writeClip makes a two-second test clip with ffmpeg for the upload.
func writeClip(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "compass.mp4")
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
		"testsrc=duration=2:size=320x240:rate=15", "-c:v", "libx264", "-pix_fmt", "yuv420p", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	return path
}

// writePNG writes a small gradient PNG for the upload.
func writePNG(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for y := range 480 {
		for x := range 640 {
			img.Set(x, y, color.RGBA{uint8(x / 3), uint8(y / 2), 160, 255})
		}
	}
	path := filepath.Join(t.TempDir(), "compass.png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDemoRoomInChromium starts the server as `make run` does (DEMO=true)
// and checks what a newcomer sees: the lobby lists the demo room; its page
// plays the built-in test pattern, a lot is running, and a guest's bid
// with the button is accepted.
func TestDemoRoomInChromium(t *testing.T) {
	chromium := requireChromium(t)
	base, _, _ := e2eServer(t, "DEMO=true", "BID_POLL_INTERVAL=100ms")

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

	// The lobby shows a still of the demo's stream (made from the SFU's
	// keyframe within seconds of the broadcast starting).
	deadline := time.Now().Add(45 * time.Second)
	for {
		run(t, "open the lobby again", guest, chromedp.Navigate(base+"/"))
		waitJS(t, guest, "the lobby's cards", `document.querySelector("#live a.card") !== null`)
		ok, err := chromedp.Run(guest, chromedp.Evaluate[bool](`new Promise((done) => {
			const img = document.querySelector("#live a.card img.live-still");
			if (!img) return done(false);
			if (img.complete) return done(img.naturalWidth > 0);
			img.onload = () => done(img.naturalWidth > 0);
			img.onerror = () => done(false);
		})`, chromedp.EvalAwaitPromise))
		if err == nil && ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo room's card shows no still of its stream (%v)", err)
		}
		time.Sleep(time.Second)
	}
	shoot(t, guest, "lobby-live-phone")

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
