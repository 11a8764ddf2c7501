package demo

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDemoLinksNoLoadTest holds the server binary free of the load test:
// cmd/auctiond links the demo, so anything the demo imports ships in the
// server, and the load test brings a headless-browser driver (chromedp).
func TestDemoLinksNoLoadTest(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "github.com/bidcast/bidcast/loadtest" || strings.HasPrefix(dep, "github.com/chromedp/") {
			t.Errorf("demo depends on %s; the server binary must not link the load test", dep)
		}
	}
}
