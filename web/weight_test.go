package web

import (
	"bytes"
	"compress/gzip"
	"os"
	"path"
	"regexp"
	"testing"
)

// roomPageBudget is the most JavaScript and CSS the room page may load,
// gzipped: a bidder on a phone network opens it at the moment a lot starts.
const roomPageBudget = 100 << 10

var (
	pageAsset   = regexp.MustCompile(`(?:src|href)="(/[a-z0-9-]+\.(?:js|css))"`)
	moduleAsset = regexp.MustCompile(`(?m)^\s*import\s[^"]*"(/[a-z0-9-]+\.js)"`)
)

// TestRoomPageWeight follows the room page's stylesheet and script and every
// module they import, and checks their gzipped total against
// roomPageBudget (issue 19).
func TestRoomPageWeight(t *testing.T) {
	seen := map[string]bool{}
	var total int
	var visit func(name string)
	visit = func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		body, err := os.ReadFile(path.Join("static", name))
		if err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		if path.Ext(name) != ".html" {
			total += gzipSize(t, body)
		}
		re := moduleAsset
		if path.Ext(name) == ".html" {
			re = pageAsset
		}
		for _, m := range re.FindAllSubmatch(body, -1) {
			visit(string(m[1])[1:])
		}
	}
	visit("room.html")
	if !seen["room.js"] || !seen["app.css"] || !seen["i18n.js"] {
		t.Fatalf("the walk missed the room page's assets: %v", seen)
	}
	t.Logf("room page: %d files, %d bytes of JavaScript and CSS gzipped", len(seen)-1, total)
	if total > roomPageBudget {
		t.Errorf("room page loads %d bytes gzipped, budget %d", total, roomPageBudget)
	}
}

func gzipSize(t *testing.T, b []byte) int {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Len()
}
