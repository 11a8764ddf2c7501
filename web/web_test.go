package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestHandlerRoutesPages(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	tests := []struct {
		path   string
		status int
		body   string
		cache  string
		ctype  string
	}{
		{"/", http.StatusOK, `src="/lobby.js"`, pageCache, "text/html"},
		{"/rooms/15270e85-d034-40db-87b8-88a5d0dd627b", http.StatusOK, "data-bidcast-video", pageCache, "text/html"},
		{"/studio", http.StatusOK, `src="/studio.js"`, pageCache, "text/html"},
		{"/login", http.StatusOK, `src="/login.js"`, pageCache, "text/html"},
		{"/account", http.StatusOK, `src="/account.js"`, pageCache, "text/html"},
		{"/room.js", http.StatusOK, "window.bidcast", assetCache, "text/javascript"},
		{"/app.css", http.StatusOK, "", assetCache, "text/css"},
		{"/rooms/not-a-room", http.StatusNotFound, "", "", ""},
		{"/rooms/15270e85-d034-40db-87b8-88a5d0dd627b/x", http.StatusNotFound, "", "", ""},
		{"/studio/", http.StatusNotFound, "", "", ""},
		{"/room.html", http.StatusNotFound, "", "", ""},
		{"/nope.js", http.StatusNotFound, "", "", ""},
		{"/../go.mod", http.StatusNotFound, "", "", ""},
		{"/static/room.js", http.StatusNotFound, "", "", ""},
	}
	for _, tc := range tests {
		resp, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("GET %s = %d, want %d", tc.path, resp.StatusCode, tc.status)
		}
		if tc.body != "" && !strings.Contains(string(body), tc.body) {
			t.Errorf("GET %s body lacks %q", tc.path, tc.body)
		}
		if got := resp.Header.Get("Cache-Control"); tc.cache != "" && got != tc.cache {
			t.Errorf("GET %s Cache-Control = %q, want %q", tc.path, got, tc.cache)
		}
		if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, tc.ctype) {
			t.Errorf("GET %s Content-Type = %q, want %q", tc.path, got, tc.ctype)
		}
		checkSecurityHeaders(t, tc.path, resp.Header)
	}
}

func checkSecurityHeaders(t *testing.T, path string, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") ||
		!strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("GET %s CSP = %q", path, csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("GET %s without nosniff", path)
	}
	if h.Get("Referrer-Policy") != "same-origin" {
		t.Errorf("GET %s Referrer-Policy = %q", path, h.Get("Referrer-Policy"))
	}
}

func TestHandlerRevalidatesWithETag(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/studio.js")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on an asset")
	}
	req, _ := http.NewRequest("GET", srv.URL+"/studio.js", nil)
	req.Header.Set("If-None-Match", `"other", `+etag)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET = %d, want 304", resp.StatusCode)
	}
	req, _ = http.NewRequest("HEAD", srv.URL+"/", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ContentLength <= 0 {
		t.Errorf("HEAD / = %d with length %d", resp.StatusCode, resp.ContentLength)
	}
	for _, method := range []string{"POST", "PUT", "DELETE"} {
		req, _ := http.NewRequest(method, srv.URL+"/studio", strings.NewReader("x"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /studio = %d (Allow %q), want 405", method, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
}

// TestPagesHaveNoInlineScript keeps the pages within the CSP: scripts only
// from files, no inline handlers.
func TestPagesHaveNoInlineScript(t *testing.T) {
	inline := regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]|\son[a-z]+\s*=|javascript:`)
	for _, page := range []string{"index.html", "room.html", "studio.html", "login.html", "account.html"} {
		b, err := static.ReadFile("static/" + page)
		if err != nil {
			t.Fatal(err)
		}
		if loc := inline.FindIndex(b); loc != nil {
			t.Errorf("%s has inline script near %q", page, b[loc[0]:min(loc[1]+20, len(b))])
		}
	}
}

// TestEveryCodeHasASentence checks that each error code of the protocol and
// each bid rejection reason of the room actor has its own message in both
// languages.
func TestEveryCodeHasASentence(t *testing.T) {
	proto, err := os.ReadFile("../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(proto), "## Error codes")
	codes := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|").FindAllStringSubmatch(table, -1)
	all := map[string]bool{}
	for _, m := range codes {
		all[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`Reason = "([a-z_]+)"`).FindAllStringSubmatch(readAuction(t), -1) {
		all[m[1]] = true
	}
	if len(all) < 20 {
		t.Fatalf("found only %d codes; did the documents move?", len(all))
	}
	i18n, err := static.ReadFile("static/i18n.js")
	if err != nil {
		t.Fatal(err)
	}
	en, ko, ok := strings.Cut(string(i18n), "\n  ko: {")
	if !ok {
		t.Fatal("i18n.js has no Korean strings")
	}
	for code := range all {
		key := regexp.MustCompile(`(?m)[\s{]` + code + `: "`)
		if !key.MatchString(en) {
			t.Errorf("no English sentence for %q", code)
		}
		if !key.MatchString(ko) {
			t.Errorf("no Korean sentence for %q", code)
		}
	}
}

// readAuction is the text of the auction package's Go files.
func readAuction(t *testing.T) string {
	t.Helper()
	entries, err := os.ReadDir("../auction")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".go") && !strings.HasSuffix(e.Name(), "_test.go") {
			data, err := os.ReadFile("../auction/" + e.Name())
			if err != nil {
				t.Fatal(err)
			}
			b.Write(data)
		}
	}
	return b.String()
}
