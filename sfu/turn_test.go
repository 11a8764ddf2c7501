package sfu

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// turnExpiry reads the expiry a time-limited TURN username carries.
func turnExpiry(t *testing.T, username string) time.Time {
	t.Helper()
	ts, _, ok := strings.Cut(username, ":")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil {
		t.Fatalf("username %q is not <expiry>:<id>", username)
	}
	return time.Unix(sec, 0)
}

func TestTURNMint(t *testing.T) {
	now := time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC)
	c := TURNConfig{URLs: []string{"turn:127.0.0.1:3478?transport=udp"}, Secret: "s3cret", TTL: 90 * time.Second,
		Now: func() time.Time { return now }}
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	a, b := c.mint(), c.mint()
	if got := turnExpiry(t, a.Username); !got.Equal(now.Add(90 * time.Second)) {
		t.Errorf("expiry %v, want now+TTL %v", got, now.Add(90*time.Second))
	}
	if a.Username == b.Username {
		t.Errorf("two mints gave the same username %q: credentials must be per session", a.Username)
	}
	// The password is what coturn computes from its static-auth-secret.
	m := hmac.New(sha1.New, []byte("s3cret"))
	m.Write([]byte(a.Username))
	if want := base64.StdEncoding.EncodeToString(m.Sum(nil)); a.Credential != want {
		t.Errorf("credential %q, want HMAC-SHA1 %q", a.Credential, want)
	}
	if len(a.URLs) != 1 || a.URLs[0] != c.URLs[0] {
		t.Errorf("URLs %v", a.URLs)
	}
	// The clock moves: a later mint expires later.
	now = now.Add(time.Hour)
	if got := turnExpiry(t, c.mint().Username); !got.Equal(now.Add(90 * time.Second)) {
		t.Errorf("after an hour: expiry %v, want %v", got, now.Add(90*time.Second))
	}
}

func TestTURNConfigValidate(t *testing.T) {
	u := []string{"turn:h:3478"}
	tests := []struct {
		name string
		c    TURNConfig
		ok   bool
	}{
		{"off", TURNConfig{}, true},
		{"on with defaults", TURNConfig{URLs: u, Secret: "x"}, true},
		{"turns URL", TURNConfig{URLs: []string{"turns:h:5349?transport=tcp"}, Secret: "x"}, true},
		{"no secret", TURNConfig{URLs: u}, false},
		{"secret without URLs", TURNConfig{Secret: "x"}, false},
		{"a stun URL", TURNConfig{URLs: []string{"stun:h:3478"}, Secret: "x"}, false},
		{"TTL too short", TURNConfig{URLs: u, Secret: "x", TTL: time.Millisecond}, false},
		{"TTL too long", TURNConfig{URLs: u, Secret: "x", TTL: 48 * time.Hour}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.validate()
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrInvalidConfig)) {
				t.Fatalf("validate() = %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && tc.c.TTL != 0 && tc.c.TTL < time.Second {
				t.Fatalf("TTL %v after defaults", tc.c.TTL)
			}
		})
	}
}

var linkRe = regexp.MustCompile(`^<([^>]+)>; rel="ice-server"(?:; username="([^"]*)"; credential="([^"]*)"; credential-type="password")?$`)

// iceLinks parses WHIP/WHEP ice-server Link headers into ICEServers.
func iceLinks(t testing.TB, h http.Header) []ICEServer {
	t.Helper()
	var out []ICEServer
	for _, l := range h.Values("Link") {
		m := linkRe.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("Link header %q is not an ice-server link", l)
		}
		out = append(out, ICEServer{URLs: []string{m[1]}, Username: m[2], Credential: m[3]})
	}
	return out
}

// options sends an OPTIONS request and returns its ICE servers.
func options(t testing.TB, url, token string, preflight bool) []ICEServer {
	t.Helper()
	req, err := http.NewRequest(http.MethodOptions, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if preflight {
		req.Header.Set("Origin", "https://example.org")
		req.Header.Set("Access-Control-Request-Method", "POST")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("OPTIONS %s: %d", url, resp.StatusCode)
	}
	return iceLinks(t, resp.Header)
}

// TestTURNCredentialsOnlyForAuthorizedClients: OPTIONS and the 201 of a
// POST hand a freshly minted TURN credential to a client that may publish
// or watch, and never to a CORS preflight or a refused client.
func TestTURNCredentialsOnlyForAuthorizedClients(t *testing.T) {
	_, hs, _ := newTestServer(t, func(c *Config) {
		c.TURN = TURNConfig{URLs: []string{"turn:127.0.0.1:3478?transport=udp", "turn:127.0.0.1:3478?transport=tcp"}, Secret: "s3cret"}
	})
	minted := func(servers []ICEServer) int {
		n := 0
		for _, s := range servers {
			if s.Username != "" {
				n++
			}
		}
		return n
	}
	if got := options(t, hs.URL+"/whip/room1", "pub-secret", false); minted(got) != 2 || len(got) != 3 {
		t.Fatalf("authorized WHIP OPTIONS gave %+v, want the STUN server and two TURN URLs with a credential", got)
	}
	for name, got := range map[string][]ICEServer{
		"preflight":             options(t, hs.URL+"/whip/room1", "pub-secret", true),
		"wrong publish token":   options(t, hs.URL+"/whip/room1", "nope", false),
		"WHEP of an idle room":  options(t, hs.URL+"/whep/room1", "", false),
		"unknown session":       options(t, hs.URL+"/whep/room1/0123456789abcdef", "", false),
		"invalid room":          options(t, hs.URL+"/whep/bad~room", "", false),
		"private room no token": options(t, hs.URL+"/whip/private", "", false),
	} {
		if minted(got) != 0 || len(got) != 1 {
			t.Errorf("%s: got %+v, want only the STUN server", name, got)
		}
	}

	pub, loc := publishWHIP(t, hs.URL, "room1", "video/H264")
	defer pub.close()
	pub.start(30)
	waitFor(t, 5*time.Second, "the room live", func() bool {
		return minted(options(t, hs.URL+"/whep/room1", "", false)) == 2
	})
	if got := options(t, hs.URL+loc, "", false); minted(got) != 2 {
		t.Errorf("OPTIONS on the publisher's own session gave %+v, want a credential", got)
	}
	a, b := options(t, hs.URL+"/whep/room1", "", false), options(t, hs.URL+"/whep/room1", "", false)
	if a[1].Username == b[1].Username {
		t.Errorf("two clients got the same TURN username %q", a[1].Username)
	}
	v := newFakeViewer(t, clientAPI(t, nil))
	defer v.close()
	req, _ := http.NewRequest(http.MethodPost, hs.URL+"/whep/room1", strings.NewReader(localOffer(t, v.pc)))
	req.Header.Set("Content-Type", "application/sdp")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || minted(iceLinks(t, resp.Header)) != 2 {
		t.Errorf("WHEP POST: %d with %v, want 201 with a TURN credential", resp.StatusCode, resp.Header.Values("Link"))
	}
}
