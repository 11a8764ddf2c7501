package web_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/bidcast/bidcast/internal/testenv"
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

// requireChromium returns the path of Debian's chromium, or skips the test
// (in -short mode too: it runs the server and a browser).
func requireChromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the server and headless Chromium")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed: the Makefile installs Debian's chromium (make services or make test)")
	}
	return chromium
}

// e2eServer builds auctiond, starts it on a free loopback port against a
// fresh Postgres schema and a Redis of its own (so no other test's workers
// take its background tasks), with no demo, guests allowed to bid and no
// rate limits (extraEnv overrides these), and returns its base URL, the
// binary and its environment.
func e2eServer(t *testing.T, extraEnv ...string) (base, bin string, env []string) {
	t.Helper()
	bin = testenv.BuildBinary(t, "github.com/bidcast/bidcast/cmd/auctiond")
	addr := testenv.FreeAddr(t)
	base = "http://" + addr
	env = []string{"DATABASE_URL=" + storagetest.URL(t), "REDIS_URL=" + testenv.StartRedis(t).URL(),
		"HTTP_ADDR=" + addr, "ADMIN_ADDR=", "PUBLIC_URL=" + base, "SFU_UDP_ADDR=127.0.0.1:0", "SFU_TCP_ADDR=off",
		"SFU_LOOPBACK_CANDIDATES=true", "AUTH_RATE_LIMIT_DISABLED=true",
		"ROOM_LEASE_TTL=5s", // no room restarts when -race on a loaded machine stalls the server
		"API_RATE_LIMIT_DISABLED=true", "DEMO=false", "MEDIA_DIR=" + t.TempDir(),
		"AUTH_JWT_KEY=" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("e", 40)))}
	env = append(env, extraEnv...) // later entries win
	srv := testenv.StartProcess(t, bin, env, "serve")
	srv.WaitHTTP(base+"/readyz", 30*time.Second)
	return base, bin, env
}

// createE2ERoom makes a scheduled room (the studio takes it live) with one
// soft-close lot of 12 s: a bid in its last 10 s extends it.
func createE2ERoom(t *testing.T, bin string, env []string) e2eRoom {
	t.Helper()
	room := roomCreate(t, bin, env, "--title", "E2E cameras", "--seller", "e2e-seller", "--lots", "1",
		"--duration", "12s", "--policy", "soft-close", "--opening", "10000", "--currency", "KRW", "--guests-may-bid")
	if len(room.LotIDs) != 1 {
		t.Fatalf("room create made %d lots, want 1", len(room.LotIDs))
	}
	return room
}

// roomCreate runs `auctiond room create ARGS --json` with env and returns
// the room it printed.
func roomCreate(t *testing.T, bin string, env []string, args ...string) e2eRoom {
	t.Helper()
	cmd := exec.Command(bin, append(append([]string{"room", "create"}, args...), "--json")...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("room create: %v", err)
	}
	var room e2eRoom
	if err := json.Unmarshal(out, &room); err != nil || room.SellerLoginURL == "" {
		t.Fatalf("room create printed %s (%v)", out, err)
	}
	return room
}

// studioURL is the seller's sign-in link, sending the browser on to the
// room in the studio.
func studioURL(room e2eRoom) string {
	return room.SellerLoginURL + "?return_to=" + url.QueryEscape("/studio?room="+room.RoomID)
}

// newBrowser starts headless Chromium with a fake camera and microphone
// that need no permission prompt, and autoplay allowed.
func newBrowser(ctx context.Context, t *testing.T, chromium string) context.Context {
	t.Helper()
	alloc, allocCancel := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("use-fake-device-for-media-stream", true), chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"), chromedp.Flag("mute-audio", true),
		chromedp.Flag("disable-features", "WebRtcHideLocalIpsWithMdns"), chromedp.Flag("lang", "en-US"))...)
	t.Cleanup(allocCancel)
	browser, browserCancel := chromedp.NewContext(alloc)
	t.Cleanup(browserCancel)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return browser
}

// newTab opens a tab in a browser context of its own: separate cookies, so
// a separate user.
func newTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	return tab
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

// click clicks the element with the given ID through the page's own
// handler.
func click(t *testing.T, what string, tab context.Context, id string) {
	t.Helper()
	run(t, what, tab, js(`document.getElementById("`+id+`").click()`))
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

// evalInt evaluates an expression (a promise is awaited) to an integer.
func evalInt(t *testing.T, tab context.Context, expr string) int {
	t.Helper()
	n, err := chromedp.Run(tab, chromedp.Evaluate[int](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return n
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

// chromeShow is a running server with one scheduled room (createE2ERoom)
// and a headless Chromium to visit it.
type chromeShow struct {
	base    string
	room    e2eRoom
	browser context.Context
}

// newChromeShow starts the server, creates the room and starts Chromium;
// the whole test gets 90 s.
func newChromeShow(t *testing.T) chromeShow {
	t.Helper()
	chromium := requireChromium(t)
	base, bin, env := e2eServer(t)
	room := createE2ERoom(t, bin, env)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	return chromeShow{base: base, room: room, browser: newBrowser(ctx, t, chromium)}
}

// phoneSize emulates a 390×844 phone at twice the pixel density.
var phoneSize = chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile)
