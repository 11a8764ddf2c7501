package sfu

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/bidcast/bidcast/internal/testenv"
)

// TestTURNRelayOutlivesItsCredential: a minted credential only has to be
// valid when the relay is allocated. coturn is made to grant allocations
// of 4 s, so the viewer's TURN client refreshes its allocation every 2 s
// with the same credential, which expires 5 s after it was minted (room
// enough to allocate on a loaded machine): the relay must keep carrying
// video well past the expiry (a show lasting hours keeps its relay;
// SFU_TURN_TTL bounds only new allocations).
func TestTURNRelayOutlivesItsCredential(t *testing.T) {
	// A log file, written as it goes (its stdout is buffered), with the
	// sessions' requests in it (--verbose).
	logFile := filepath.Join(t.TempDir(), "turn.log")
	turn := testenv.StartCoturn(t, turnSecret, "--max-allocate-lifetime=4", "--log-file="+logFile, "--verbose")
	_, hs, _ := newTestServer(t, func(c *Config) {
		c.TURN = TURNConfig{URLs: []string{"turn:" + turn.Addr + "?transport=udp"}, Secret: turnSecret, TTL: 5 * time.Second}
	})
	pub, _ := publishWHIP(t, hs.URL, "room1", webrtc.MimeTypeH264)
	defer pub.close()
	pub.start(30)

	c := hardClient{relayOnly: true, networks: []webrtc.NetworkType{webrtc.NetworkTypeUDP4}}
	var cfg webrtc.Configuration
	waitFor(t, 10*time.Second, "the room live", func() bool {
		cfg = c.configuration(t, hs.URL+"/whep/room1", "")
		return len(cfg.ICEServers) > 0
	})
	ts, _, _ := strings.Cut(cfg.ICEServers[0].Username, ":")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		t.Fatalf("username %q", cfg.ICEServers[0].Username)
	}
	expiry := time.Unix(sec, 0)

	v := newFakeViewer(t, c.api(t))
	defer v.close()
	if err := v.pc.SetConfiguration(cfg); err != nil {
		t.Fatal(err)
	}
	code, _, body := post(t, hs.URL+"/whep/room1", "", "application/sdp", localOffer(t, v.pc))
	if code != http.StatusCreated {
		t.Fatalf("WHEP: %d %s", code, body)
	}
	setAnswer(t, v.pc, body)
	select {
	case <-v.firstKey:
	case <-time.After(10 * time.Second):
		t.Fatalf("no keyframe (connection %s)", v.pc.ConnectionState())
	}
	if got := selectedPair(v.pc); !strings.HasPrefix(got, "relay/") {
		t.Fatalf("selected pair %q, want a relay candidate", got)
	}
	// Two refreshes after the expiry (at most 2 s apart) and then some:
	// the video still flows.
	waitFor(t, 30*time.Second, "7 s past the credential's expiry", func() bool { return time.Now().After(expiry.Add(7 * time.Second)) })
	n := v.packets.Load()
	waitFor(t, 5*time.Second, "30 more packets through the relay", func() bool { return v.packets.Load() >= n+30 })
	// The premise: coturn saw refreshes, with the expired credential, and
	// took them all.
	b, _ := os.ReadFile(logFile)
	log := string(b)
	if ok := strings.Count(log, "REFRESH processed, success"); ok < 3 || strings.Contains(log, "REFRESH processed, error") {
		t.Errorf("coturn took %d refreshes (want at least 3, and no refused one); its log:\n%s", ok, log)
	}
}
