package web_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"

	"github.com/bidcast/bidcast/internal/testenv"
	"github.com/bidcast/bidcast/loadtest"
	"github.com/bidcast/bidcast/storage/storagetest"
)

// e2eRoom is what `auctiond room create --json` prints, as the test uses it.
type e2eRoom struct {
	RoomID         string   `json:"room_id"`
	LotIDs         []string `json:"lot_ids"`
	PublishToken   string   `json:"publish_token"`
	WHIPURL        string   `json:"whip_url"`
	SellerLoginURL string   `json:"seller_login_url"`
}

// TestRoomPageInChromium runs one lot through the real server and two
// headless Chromium viewers: a WHIP publisher broadcasts, the first
// viewer's page decodes the video, bids with its button and sees the bid
// accepted and the clock extended; the second viewer (a phone-sized page)
// sees the new price; a too-low bid shows its rejection; the lot closes and
// both pages show the result. Screenshots go to artifacts/e2e/.
func TestRoomPageInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the server and headless Chromium")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (make services installs Debian's chromium)")
	}
	bin := testenv.BuildBinary(t, "github.com/bidcast/bidcast/cmd/auctiond")
	addr := testenv.FreeAddr(t)
	base := "http://" + addr
	env := []string{"DATABASE_URL=" + storagetest.URL(t), "REDIS_URL=" + testenv.Require(t, "REDIS_URL"),
		"HTTP_ADDR=" + addr, "ADMIN_ADDR=", "PUBLIC_URL=" + base, "SFU_UDP_ADDR=127.0.0.1:0", "SFU_TCP_ADDR=off",
		"SFU_LOOPBACK_CANDIDATES=true", "AUTH_GUESTS_MAY_BID=true", "AUTH_RATE_LIMIT_DISABLED=true", "DEMO=false",
		"MEDIA_DIR=" + t.TempDir(),
		"AUTH_JWT_KEY=" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("e", 40)))}
	srv := testenv.StartProcess(t, bin, env, "serve")
	srv.WaitHTTP(base+"/readyz", 30*time.Second)
	room := createE2ERoom(t, bin, env)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	publish(ctx, t, room)

	alloc, allocCancel := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"), chromedp.Flag("mute-audio", true),
		chromedp.Flag("disable-features", "WebRtcHideLocalIpsWithMdns"), chromedp.Flag("lang", "en-US"))...)
	defer allocCancel()
	browser, browserCancel := chromedp.NewContext(alloc)
	defer browserCancel()
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	// Each viewer in a browser context of its own: separate cookies, so
	// separate guests.
	alice, aliceCancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	defer aliceCancel()
	bob, bobCancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	defer bobCancel()
	page := base + "/rooms/" + room.RoomID
	run(t, "alice opens the room", alice, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(page+"?name=Alice"))
	run(t, "bob opens the room on a phone", bob,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(page+"?name=Bob"))

	// 2. Decoded video: a width, and frames that keep coming.
	waitJS(t, alice, "decoded video", `document.querySelector("video[data-bidcast-video]").videoWidth > 0`)
	frames := func() int {
		n, err := chromedp.Run(alice, chromedp.Evaluate[int](
			`document.querySelector("video").getVideoPlaybackQuality().totalVideoFrames`))
		if err != nil {
			t.Fatalf("count frames: %v", err)
		}
		return n
	}
	f0 := frames()
	time.Sleep(time.Second)
	if f1 := frames(); f1 <= f0 {
		t.Fatalf("frames decoded did not rise: %d then %d", f0, f1)
	}

	// 1. The seller starts the lot; both pages see it.
	startLot(ctx, t, base, room)
	waitJS(t, alice, "the bid button", `!document.getElementById("bid").disabled`)
	waitJS(t, bob, "the bid button", `!document.getElementById("bid").disabled`)

	// 3. Alice bids with the button inside the last 10 s: accepted, and the
	// soft-close clock is extended.
	waitJS(t, alice, "the last 10 s", `Date.parse(window.bidcast.state.lot.deadline) - Date.now() < 9000`)
	run(t, "alice bids", alice, js(`document.getElementById("bid").click()`))
	waitJS(t, alice, "the acceptance", `document.getElementById("message").textContent.startsWith("Your bid is in")`)
	waitJS(t, alice, "the clock extended", `window.bidcast.state.clockChanges > 0`)
	waitJS(t, alice, "the leading status", `document.getElementById("status").textContent === "You are leading"`)

	// 4. Bob sees the new price.
	waitJS(t, bob, "the new price", `document.getElementById("price").textContent.includes("10,000")`)

	// 5. A too-low bid shows why it was refused.
	run(t, "bob bids too low", bob, js(`window.bidcast.placeBid(5000)`))
	waitJS(t, bob, "the rejection", `document.getElementById("message").textContent.startsWith("Too low")`)
	shoot(t, alice, "room-desktop")
	shoot(t, bob, "room-phone")

	// 6. The lot closes: the winner's banner and the other viewer's result.
	waitJS(t, alice, "the winner banner", `document.getElementById("banner").textContent.startsWith("You won")`)
	waitJS(t, bob, "the result", `document.getElementById("banner").textContent.startsWith("Sold to")`)
	shoot(t, alice, "room-won")
	run(t, "open the lobby", bob, chromedp.Navigate(base+"/"))
	waitJS(t, bob, "the lobby lists the room", `document.querySelectorAll("#live a.card").length > 0`)
	shoot(t, bob, "lobby-phone")
}

// createE2ERoom makes a live room with one soft-close lot of 12 s: a bid in
// its last 10 s extends it.
func createE2ERoom(t *testing.T, bin string, env []string) e2eRoom {
	t.Helper()
	cmd := exec.Command(bin, "room", "create", "--title", "E2E cameras", "--seller", "e2e-seller", "--lots", "1",
		"--duration", "12s", "--policy", "soft-close", "--opening", "10000", "--currency", "KRW", "--live", "--json")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("room create: %v", err)
	}
	var room e2eRoom
	if err := json.Unmarshal(out, &room); err != nil || len(room.LotIDs) != 1 || room.SellerLoginURL == "" {
		t.Fatalf("room create printed %s (%v)", out, err)
	}
	return room
}

// publish broadcasts a small generated clip into the room over WHIP.
func publish(ctx context.Context, t *testing.T, room e2eRoom) {
	t.Helper()
	spec := loadtest.ClipSpec{Width: 320, Height: 240, FPS: 15, BitrateKbps: 300, GOP: 15, Seconds: 4}
	path := filepath.Join(os.TempDir(), "bidcast-e2e-320x240.h264")
	if err := loadtest.EnsureClip(ctx, path, spec); err != nil {
		t.Fatal(err)
	}
	clip, err := loadtest.LoadClip(path, spec.FPS)
	if err != nil {
		t.Fatal(err)
	}
	api, err := loadtest.NewPeerAPI(true)
	if err != nil {
		t.Fatal(err)
	}
	p, err := loadtest.StartPublisher(ctx, api, room.WHIPURL, room.PublishToken, clip, nil, nil)
	if err != nil {
		t.Fatalf("publish over WHIP: %v", err)
	}
	pctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); p.Run(pctx) }()
	t.Cleanup(func() { stop(); <-done; p.Close() })
}

// startLot signs the seller in with the room's login link and starts the
// lot over the WebSocket.
func startLot(ctx context.Context, t *testing.T, base string, room e2eRoom) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	resp, err := hc.Get(room.SellerLoginURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	req, _ := http.NewRequest("GET", base, nil)
	hdr := http.Header{}
	for _, c := range jar.Cookies(req.URL) {
		hdr.Add("Cookie", c.Name+"="+c.Value)
	}
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws", &websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		t.Fatalf("seller socket: %v", err)
	}
	t.Cleanup(func() { ws.Close(websocket.StatusNormalClosure, "") })
	for i, msg := range []map[string]any{
		{"v": 1, "type": "join", "id": "s1", "data": map[string]any{"room_id": room.RoomID}},
		{"v": 1, "type": "lot.start", "id": "s2", "data": map[string]any{"lot_id": room.LotIDs[0]}},
	} {
		b, _ := json.Marshal(msg)
		if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatal(err)
		}
		for id := fmt.Sprintf("s%d", i+1); ; {
			_, raw, err := ws.Read(ctx)
			if err != nil {
				t.Fatalf("seller socket: %v", err)
			}
			var m struct{ Type, ID string }
			_ = json.Unmarshal(raw, &m)
			if m.ID == id {
				if m.Type != "ack" {
					t.Fatalf("seller %s: %s", msg["type"], raw)
				}
				break
			}
		}
	}
	// Keep reading so the server never sees a slow consumer.
	go func() {
		for {
			if _, _, err := ws.Read(context.Background()); err != nil {
				return
			}
		}
	}()
}

// run runs actions in a tab, failing the test with what was being done.
func run(t *testing.T, what string, tab context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(tab, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// js runs a statement in the page for its effect.
func js(statement string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool]("("+statement+", true)")(ctx, tg)
		return chromedp.Void{}, err
	}
}

// waitJS polls a JavaScript condition in the tab for up to 30 s.
func waitJS(t *testing.T, tab context.Context, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if ok, err := chromedp.Run(tab, chromedp.Evaluate[bool](`!!(`+cond+`)`)); err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			msg, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.getElementById("message")?.textContent || ""`))
			shoot(t, tab, "failed-"+strings.ReplaceAll(what, " ", "-"))
			t.Fatalf("timed out waiting for %s (page message: %q)", what, msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// shoot saves a screenshot of the tab to artifacts/e2e/NAME.png.
func shoot(t *testing.T, tab context.Context, name string) {
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	dir := filepath.Join("..", "artifacts", "e2e")
	if err := os.MkdirAll(dir, 0o755); err == nil {
		_ = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
}
