package web_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// axeViolation is the part of one axe-core violation the test reports.
type axeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	Targets []any  `json:"targets"`
}

// TestPagesPassAxeInChromium injects axe-core (testdata/axe.min.js, the
// unmodified build of the npm package axe-core, MPL-2.0) into the lobby,
// room, studio, login and account pages at phone and desktop size, in
// English and in Korean, and fails on any serious or critical violation
// (the screens issue's bar). It also takes each page's screenshot (make
// screenshots copies them into docs/screenshots).
// DevTools' evaluation is not bound by the page's CSP, so the pages keep
// theirs.
func TestPagesPassAxeInChromium(t *testing.T) {
	chromium := requireChromium(t)
	axe, err := os.ReadFile("testdata/axe.min.js")
	if err != nil {
		t.Fatalf("read axe-core: %v", err)
	}
	base, bin, env := e2eServer(t)
	room := createE2ERoom(t, bin, env)

	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	browser := newBrowser(ctx, t, chromium)
	viewer, seller := newTab(t, browser), newTab(t, browser)
	run(t, "the seller signs in", seller, chromedp.Navigate(studioURL(room)))
	waitJS(t, seller, "the studio's lot queue", `window.bidcastStudio?.catalog.lots.length === 1`)
	click(t, "go live", seller, "go-live")
	waitJS(t, seller, "the broadcast on air", `window.bidcastStudio.onAir === true`)

	pages := []struct {
		name  string
		tab   context.Context
		path  string
		ready string // a condition that holds once the page has rendered its data
	}{
		{"lobby", viewer, "/", `document.readyState === "complete"`},
		{"login", viewer, "/login", `document.readyState === "complete"`},
		{"room", viewer, "/rooms/" + room.RoomID + "?name=Ally", `window.bidcast?.state.room?.status === "live"`},
		{"studio", seller, "/studio?room=" + room.RoomID, `window.bidcastStudio?.catalog.lots.length === 1`},
		{"account", seller, "/account", `document.readyState === "complete"`},
	}
	sizes := []struct {
		name string
		size chromedp.Action[chromedp.Void]
	}{
		{"phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile)},
		{"desktop", chromedp.EmulateViewport(1280, 800)},
	}
	langs := []struct {
		suffix string
		setup  chromedp.Action[chromedp.Void]
	}{{"", js("true")}, {"-ko", korean()}}
	for _, lang := range langs {
		run(t, "set the viewer's language", viewer, lang.setup)
		run(t, "set the seller's language", seller, lang.setup)
		for _, size := range sizes {
			for _, p := range pages {
				what := p.name + " at " + size.name + " size" + lang.suffix
				run(t, "open the "+what, p.tab, size.size, chromedp.Navigate(base+p.path))
				waitJS(t, p.tab, "the "+what, p.ready)
				for _, v := range axeViolations(t, p.tab, string(axe)) {
					if v.Impact == "serious" || v.Impact == "critical" {
						t.Errorf("%s: %s (%s): %s at %v", what, v.ID, v.Impact, v.Help, v.Targets)
					}
				}
				shoot(t, p.tab, "page-"+p.name+"-"+size.name+lang.suffix)
			}
		}
	}
}

// axeViolations runs axe-core over the tab's document and returns its
// violations.
func axeViolations(t *testing.T, tab context.Context, axe string) []axeViolation {
	t.Helper()
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool]("(function(){"+axe+"\n})(); typeof axe === 'object'")); err != nil {
		t.Fatalf("inject axe-core: %v", err)
	}
	out, err := chromedp.Run(tab, chromedp.Evaluate[string](`axe.run(document, {resultTypes: ["violations"]}).then(r =>
		JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
			targets: v.nodes.map(n => n.target)}))))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run axe-core: %v", err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("axe-core result %q: %v", strings.TrimSpace(out), err)
	}
	return vs
}
