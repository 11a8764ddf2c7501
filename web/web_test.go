package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandlerServesIndexAndRefusesUnknown(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	tests := []struct {
		path   string
		status int
		body   string
	}{
		{"/", http.StatusOK, `src="/lobby.js"`},
		{"/rooms/15270e85-d034-40db-87b8-88a5d0dd627b", http.StatusOK, "data-bidcast-video"},
		{"/rooms/not-a-room", http.StatusNotFound, ""},
		{"/room.js", http.StatusOK, "window.bidcast"},
		{"/nope.js", http.StatusNotFound, ""},
		{"/../go.mod", http.StatusNotFound, ""},
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
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("GET %s CSP = %q", tc.path, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s without nosniff", tc.path)
		}
	}
	resp, err := http.Post(srv.URL+"/", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST / = %d, want 405", resp.StatusCode)
	}
}
