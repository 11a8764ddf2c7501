package sfu

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/bidcast/bidcast/internal/testenv"
)

// turnsChildEnv names the directory of the certificate when
// TestTURNOverTLS runs as its own child process.
const turnsChildEnv = "BIDCAST_TEST_TURNS_DIR"

// TestTURNOverTLS: with only a turns: URL (TURN over TLS, as on a network
// that lets nothing but TLS on 443 out), a publisher and a viewer that may
// only relay reach coturn over TLS with the credential the server minted,
// and the viewer receives the publisher's video. The client checks coturn's
// certificate as a browser would: the test makes a self-signed one and runs
// itself again with it as the trusted root (SSL_CERT_FILE), since Pion
// takes the system's roots and Go reads them once per process.
func TestTURNOverTLS(t *testing.T) {
	dir := os.Getenv(turnsChildEnv)
	if dir == "" {
		dir = t.TempDir()
		cert := testenv.SelfSignedCert(t, dir)
		cmd := exec.Command(os.Args[0], "-test.run=^TestTURNOverTLS$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), turnsChildEnv+"="+dir, "SSL_CERT_FILE="+cert.CertFile)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("the TURN-over-TLS run failed: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "--- PASS: TestTURNOverTLS") {
			t.Fatalf("the TURN-over-TLS run did not pass:\n%s", out)
		}
		return
	}

	turn := testenv.StartCoturnTLS(t, turnSecret, filepath.Join(dir, "test.crt"), filepath.Join(dir, "test.key"))
	turnsURL := "turns:" + turn.TLSAddr + "?transport=tcp"
	_, hs, _ := newTestServer(t, func(c *Config) {
		c.TURN = TURNConfig{URLs: []string{turnsURL}, Secret: turnSecret, TTL: time.Minute}
	})
	client := hardClient{relayOnly: true, networks: []webrtc.NetworkType{webrtc.NetworkTypeUDP4}}
	// configuration, but keeping the turns: URL (hardClient keeps turn:).
	relayConfig := func(url, token string) webrtc.Configuration {
		cfg := webrtc.Configuration{ICETransportPolicy: webrtc.ICETransportPolicyRelay}
		for _, s := range options(t, url, token, false) {
			if strings.HasPrefix(s.URLs[0], "turns:") {
				cfg.ICEServers = append(cfg.ICEServers, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
			}
		}
		if len(cfg.ICEServers) != 1 || cfg.ICEServers[0].Username == "" {
			t.Fatalf("%s gave no turns: server with a credential: %+v", url, cfg.ICEServers)
		}
		return cfg
	}

	pub := newFakePublisher(t, client.api(t), webrtc.MimeTypeH264)
	defer pub.close()
	if err := pub.pc.SetConfiguration(relayConfig(hs.URL+"/whip/room1", "pub-secret")); err != nil {
		t.Fatal(err)
	}
	code, _, body := post(t, hs.URL+"/whip/room1", "pub-secret", "application/sdp", localOffer(t, pub.pc))
	if code != http.StatusCreated {
		t.Fatalf("WHIP: %d %s", code, body)
	}
	setAnswer(t, pub.pc, body)
	pub.start(30)
	waitFor(t, 10*time.Second, "the publisher connected through TURN over TLS", func() bool {
		return pub.pc.ConnectionState() == webrtc.PeerConnectionStateConnected
	})

	v := newFakeViewer(t, client.api(t))
	defer v.close()
	loc := watchWHEP(t, v, hs.URL+"/whep/room1", relayConfig(hs.URL+"/whep/room1", ""))
	for name, pc := range map[string]*webrtc.PeerConnection{"publisher": pub.pc, "viewer": v.pc} {
		if got := selectedPair(pc); !strings.HasPrefix(got, "relay/udp") {
			t.Errorf("%s's selected pair %q, want a relay candidate", name, got)
		}
		if got := relayProtocols(pc); len(got) == 0 || got[0] != "tls" {
			t.Errorf("%s reaches coturn over %v, want tls", name, got)
		}
	}
	if code := doRequest(t, http.MethodDelete, hs.URL+loc); code != http.StatusOK {
		t.Errorf("WHEP DELETE = %d", code)
	}
}
