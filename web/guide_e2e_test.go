package web_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"
)

// TestGuidedFirstRunInChromium signs in a seller who has nothing yet and
// follows the studio's guide: each of its four steps (name a show, add an
// item, queue it as a lot, go live) is current in turn, its "Show me"
// brings the right form to the seller, it is marked done when done, and
// the guide goes away once the show is live.
func TestGuidedFirstRunInChromium(t *testing.T) {
	chromium := requireChromium(t)
	_, bin, env := e2eServer(t)
	login := newSellerLink(t, bin, env, "newbie")

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	browser := newBrowser(ctx, t, chromium)
	seller := newTab(t, browser)
	run(t, "the new seller opens the studio", seller,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(login+"?return_to="+url.QueryEscape("/studio")))
	current := func(step int, focus string) {
		t.Helper()
		waitJS(t, seller, "guide step "+strconv.Itoa(step), `document.getElementById("guide").offsetParent !== null &&
			document.querySelectorAll("#guide-steps li.done").length === `+strconv.Itoa(step-1)+` &&
			document.querySelector("#guide-steps li[aria-current=step]") === document.querySelectorAll("#guide-steps li")[`+strconv.Itoa(step-1)+`]`)
		run(t, "show me", seller, js(`document.querySelector("#guide-steps li[aria-current=step] button").click()`))
		waitJS(t, seller, "the focus on "+focus, `document.activeElement?.id === "`+focus+`"`)
	}
	current(1, "room-title")
	shoot(t, seller, "studio-guide-phone")
	run(t, "name the show", seller, js(`document.getElementById("room-title").value = "First show",
		document.getElementById("room-form").requestSubmit()`))
	current(2, "item-title")
	run(t, "add an item", seller, js(`document.getElementById("item-title").value = "Film camera",
		document.getElementById("item-form").requestSubmit()`))
	current(3, "lot-item")
	waitJS(t, seller, "the item in the lot form", `document.getElementById("lot-item").options.length === 1`)
	run(t, "queue the lot", seller, js(`document.getElementById("lot-form").requestSubmit()`))
	current(4, "go-live")
	click(t, "go live", seller, "go-live")
	waitJS(t, seller, "the broadcast on air", `window.bidcastStudio.onAir === true`)
	waitJS(t, seller, "the guide gone", `document.getElementById("guide").offsetParent === null`)
}

// newSellerLink makes a seller with no shows and no items (as an operator
// approving an application would leave them) and returns a sign-in link.
func newSellerLink(t *testing.T, bin string, env []string, name string) string {
	t.Helper()
	var dbURL string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "DATABASE_URL="); ok {
			dbURL = v
		}
	}
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `INSERT INTO users (provider, subject, display_name, role, seller_status)
		VALUES ('local', $1, $1, 'seller', 'approved')`, name); err != nil {
		t.Fatalf("make seller %s: %v", name, err)
	}
	cmd := exec.Command(bin, "user", "login-link", "local:"+name)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("login-link: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}
