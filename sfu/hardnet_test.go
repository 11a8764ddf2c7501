package sfu

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"github.com/bidcast/bidcast/internal/testenv"
)

// turnSecret is the shared secret of the test's coturn.
const turnSecret = "bidcast-test-secret"

// hardClient is how a test peer may reach the SFU.
type hardClient struct {
	relayOnly bool                 // iceTransportPolicy "relay"
	networks  []webrtc.NetworkType // the client's own candidates
	turnTCP   bool                 // keep only the TURN-over-TCP URL
}

// api builds a Pion API for the client's networks on loopback.
func (c hardClient) api(t *testing.T) *webrtc.API {
	t.Helper()
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes(c.networks)
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	return webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(me))
}

// configuration asks the endpoint for its ICE servers, as a WHIP/WHEP
// client must before its offer when it may only relay.
func (c hardClient) configuration(t *testing.T, url, token string) webrtc.Configuration {
	t.Helper()
	var cfg webrtc.Configuration
	for _, s := range options(t, url, token, false) {
		if !strings.HasPrefix(s.URLs[0], "turn:") || strings.HasSuffix(s.URLs[0], "transport=tcp") != c.turnTCP {
			continue
		}
		cfg.ICEServers = append(cfg.ICEServers, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	if c.relayOnly {
		cfg.ICETransportPolicy = webrtc.ICETransportPolicyRelay
		if len(cfg.ICEServers) == 0 {
			t.Fatalf("%s gave no TURN server to a relay-only client", url)
		}
	}
	return cfg
}

// selectedPair returns the local and remote candidate types of pc's
// selected pair, e.g. "relay/host".
func selectedPair(pc *webrtc.PeerConnection) string {
	for _, tr := range pc.GetTransceivers() {
		if s := tr.Sender(); s != nil && s.Transport() != nil {
			if p, err := s.Transport().ICETransport().GetSelectedCandidatePair(); err == nil && p != nil {
				return p.Local.Typ.String() + "/" + p.Local.Protocol.String() + " -> " + p.Remote.Typ.String() + "/" + p.Remote.Protocol.String()
			}
		}
		if r := tr.Receiver(); r != nil && r.Transport() != nil {
			if p, err := r.Transport().ICETransport().GetSelectedCandidatePair(); err == nil && p != nil {
				return p.Local.Typ.String() + "/" + p.Local.Protocol.String() + " -> " + p.Remote.Typ.String() + "/" + p.Remote.Protocol.String()
			}
		}
	}
	return ""
}

// relayProtocols lists how pc reaches its TURN server for each local relay
// candidate ("udp", "tcp").
func relayProtocols(pc *webrtc.PeerConnection) []string {
	var out []string
	for _, st := range pc.GetStats() {
		if c, ok := st.(webrtc.ICECandidateStats); ok && c.Type == webrtc.StatsTypeLocalCandidate && c.CandidateType == webrtc.ICECandidateTypeRelay {
			out = append(out, c.RelayProtocol)
		}
	}
	return out
}

// TestHardNetworks: a publisher and a viewer that may only relay through
// coturn (UDP, and TCP to the TURN server as on a network that blocks UDP)
// and a viewer that may only use ICE-TCP each get media through, using the
// TURN credential the server minted for them.
func TestHardNetworks(t *testing.T) {
	turn := testenv.StartCoturn(t, turnSecret)
	_, hs, _ := newTestServer(t, func(c *Config) {
		c.ICETCPAddr = "127.0.0.1:0"
		c.TURN = TURNConfig{URLs: []string{"turn:" + turn.Addr + "?transport=udp", "turn:" + turn.Addr + "?transport=tcp"},
			Secret: turnSecret, TTL: time.Minute}
	})
	udp := []webrtc.NetworkType{webrtc.NetworkTypeUDP4}

	// The publisher relays over UDP.
	pc := hardClient{relayOnly: true, networks: udp}
	pub := newFakePublisher(t, pc.api(t), webrtc.MimeTypeH264)
	if err := pub.pc.SetConfiguration(pc.configuration(t, hs.URL+"/whip/room1", "pub-secret")); err != nil {
		t.Fatal(err)
	}
	code, _, body := post(t, hs.URL+"/whip/room1", "pub-secret", "application/sdp", localOffer(t, pub.pc))
	if code != http.StatusCreated {
		t.Fatalf("WHIP: %d %s", code, body)
	}
	setAnswer(t, pub.pc, body)
	defer pub.close()
	pub.start(30)
	waitFor(t, 10*time.Second, "the relay-only publisher connected", func() bool {
		return pub.pc.ConnectionState() == webrtc.PeerConnectionStateConnected
	})
	if got := selectedPair(pub.pc); !strings.HasPrefix(got, "relay/udp") {
		t.Errorf("publisher's pair %q, want a relay candidate", got)
	}

	for _, tc := range []struct {
		name string
		c    hardClient
		want string // prefix of the selected pair
	}{
		{"relay-only over TURN/UDP", hardClient{relayOnly: true, networks: udp}, "relay/udp"},
		{"relay-only over TURN/TCP", hardClient{relayOnly: true, networks: udp, turnTCP: true}, "relay/udp"},
		{"ICE-TCP only", hardClient{networks: []webrtc.NetworkType{webrtc.NetworkTypeTCP4}}, "host/tcp -> host/tcp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := newFakeViewer(t, tc.c.api(t))
			defer v.close()
			loc := watchWHEP(t, v, hs.URL+"/whep/room1", tc.c.configuration(t, hs.URL+"/whep/room1", ""))
			if got := selectedPair(v.pc); !strings.HasPrefix(got, tc.want) {
				t.Errorf("selected pair %q, want %q", got, tc.want)
			}
			if tc.c.relayOnly {
				want := map[bool]string{false: "udp", true: "tcp"}[tc.c.turnTCP]
				if got := relayProtocols(v.pc); len(got) == 0 || got[0] != want {
					t.Errorf("relay candidates reach TURN over %v, want %s", got, want)
				}
			}
			if code := doRequest(t, http.MethodDelete, hs.URL+loc); code != http.StatusOK {
				t.Errorf("WHEP DELETE = %d", code)
			}
		})
	}
}

// TestTURNCredentialExpires: coturn takes a minted credential until its
// TTL ends and refuses it after, so a leaked credential opens no relay. The
// server's clock is moved instead of waiting out the TTL.
func TestTURNCredentialExpires(t *testing.T) {
	turn := testenv.StartCoturn(t, turnSecret)
	var mu sync.Mutex
	now := time.Now()
	_, hs, _ := newTestServer(t, func(c *Config) {
		c.TURN = TURNConfig{URLs: []string{"turn:" + turn.Addr + "?transport=udp"}, Secret: turnSecret, TTL: 30 * time.Second,
			Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }}
	})
	relayCandidates := func(cfg webrtc.Configuration) int {
		c := hardClient{relayOnly: true, networks: []webrtc.NetworkType{webrtc.NetworkTypeUDP4}}
		pc, err := c.api(t).NewPeerConnection(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
		_ = localOffer(t, pc) // waits for gathering to complete
		return strings.Count(pc.LocalDescription().SDP, "typ relay")
	}
	cfg := hardClient{relayOnly: true}.configuration(t, hs.URL+"/whip/room1", "pub-secret")
	if n := relayCandidates(cfg); n == 0 {
		t.Fatal("a fresh credential allocated no relay")
	}
	// Minted 31 s ago with a 30 s TTL: expired.
	mu.Lock()
	now = now.Add(-31 * time.Second)
	mu.Unlock()
	old := hardClient{relayOnly: true}.configuration(t, hs.URL+"/whip/room1", "pub-secret")
	if n := relayCandidates(old); n != 0 {
		t.Fatalf("an expired credential allocated %d relays", n)
	}
	// A forged one (right form, wrong secret) fails the same way.
	forged := old
	forged.ICEServers = []webrtc.ICEServer{{URLs: old.ICEServers[0].URLs, Username: fmt.Sprintf("%d:x", time.Now().Add(time.Hour).Unix()),
		Credential: turnPassword("not-the-secret", "x")}}
	if n := relayCandidates(forged); n != 0 {
		t.Fatalf("a forged credential allocated %d relays", n)
	}
}

// watchWHEP has viewer v, configured with cfg, watch whepURL: it posts the
// offer, sets the answer, and waits for a keyframe and 60 packets. It
// returns the session's Location.
func watchWHEP(t *testing.T, v *fakeViewer, whepURL string, cfg webrtc.Configuration) (loc string) {
	t.Helper()
	if err := v.pc.SetConfiguration(cfg); err != nil {
		t.Fatal(err)
	}
	code, loc, body := post(t, whepURL, "", "application/sdp", localOffer(t, v.pc))
	if code != http.StatusCreated {
		t.Fatalf("WHEP: %d %s", code, body)
	}
	setAnswer(t, v.pc, body)
	select {
	case <-v.firstKey:
	case <-time.After(10 * time.Second):
		t.Fatalf("no keyframe (connection %s)", v.pc.ConnectionState())
	}
	waitFor(t, 10*time.Second, "60 packets", func() bool { return v.packets.Load() >= 60 })
	return loc
}
