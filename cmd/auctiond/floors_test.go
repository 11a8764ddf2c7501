package main

import (
	"os/exec"
	"strings"
	"testing"
)

// floors ranks every package of the module as docs/ARCHITECTURE.md draws
// them: a package may import only packages on lower floors, and the leaf
// helpers of internal/ (floor 0) import nothing of ours but each other.
// Between the drawn floors: storage's test helper and internal/connect (how
// the binary opens the stores) just above storage; auth just under the
// edges that ask it (api, signaling); internal/ops (the steps of the
// command line) above api, whose lot rules it applies, and under
// internal/cli, which with internal/metrics belongs to the binary.
var floors = map[string]float64{
	"auction": 1,
	"events":  2, "storage": 2,
	"storage/storagetest": 2.5, "internal/connect": 2.5,
	"bidding": 3, "sfu": 3, "cluster": 3,
	"auth": 3.5,
	"api":  4, "signaling": 4, "media": 4, "demo": 4, "web": 4,
	"internal/ops": 4.5,
	"internal/cli": 5, "internal/metrics": 5, "loadtest": 5,
	"cmd/auctiond": 6, "cmd/loadtest": 6,
}

// forbidden are imports the floors would allow that the design rules out.
var forbidden = map[[2]string]string{
	{"signaling", "bidding"}: "signaling hears room events from events, and hands bids over through main's plug",
	{"demo", "loadtest"}:     "the server binary must not link the load test (chromedp)",
}

// TestImportsFlowOneWay lists the module's imports with `go list` and holds
// each against the floors.
func TestImportsFlowOneWay(t *testing.T) {
	const module = "github.com/bidcast/bidcast/"
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", module+"...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	rank := func(pkg string) (float64, bool) {
		if f, ok := floors[pkg]; ok {
			return f, true
		}
		if strings.HasPrefix(pkg, "internal/") || pkg == "scripts" {
			return 0, true // a leaf helper
		}
		return 0, false
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		from := strings.TrimPrefix(fields[0], module)
		fromRank, ok := rank(from)
		if !ok {
			t.Errorf("package %s has no floor: add it to floors and to docs/ARCHITECTURE.md", from)
			continue
		}
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			to := strings.TrimPrefix(imp, module)
			toRank, _ := rank(to)
			if why, ok := forbidden[[2]string{from, to}]; ok {
				t.Errorf("%s imports %s: %s", from, to, why)
			}
			if toRank >= fromRank && !(fromRank == 0 && toRank == 0) {
				t.Errorf("%s (floor %v) imports %s (floor %v): imports must point down", from, fromRank, to, toRank)
			}
		}
	}
}

// TestServerLinksNoLoadTest: the server binary links neither the load test
// nor its headless-browser driver.
func TestServerLinksNoLoadTest(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "github.com/bidcast/bidcast/loadtest" || strings.HasPrefix(dep, "github.com/chromedp/") {
			t.Errorf("auctiond depends on %s", dep)
		}
	}
}
