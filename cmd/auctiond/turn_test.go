package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/bidcast/bidcast/internal/ops"
	"github.com/bidcast/bidcast/internal/testenv"
	"github.com/bidcast/bidcast/signaling"
)

// turnTestSecret is the shared secret of the tests' coturn.
const turnTestSecret = "bidcast-ws-turn-secret"

// newTURNShow is newShow (one public lot, guests may bid) on a server
// that mints TURN credentials for turnURL with a TTL of one minute.
func newTURNShow(t *testing.T, turnURL string) *showEnv {
	t.Helper()
	cfg := testConfigWith(t, "", map[string]string{"SFU_TURN_URLS": turnURL,
		"SFU_TURN_SECRET": turnTestSecret, "SFU_TURN_TTL": "1m"})
	base, app := startApp(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	room, err := ops.CreateRoom(ctx, app.db, base, "Relayed", fmt.Sprintf("tina-%d", time.Now().UnixNano()),
		ops.RoomOptions{Public: true, GuestsMayBid: true})
	if err != nil {
		t.Fatal(err)
	}
	if room.LotIDs, err = ops.AddLots(ctx, app.db, room.RoomID, room.SellerID, ops.LotSpec{Count: 1, Currency: "KRW",
		Opening: 10_000, DurationMS: time.Minute.Milliseconds(), Policy: "soft-close"}); err != nil {
		t.Fatal(err)
	}
	link, err := app.svc.auth.IssueLoginLink(ctx, room.SellerID)
	if err != nil {
		t.Fatal(err)
	}
	seller := newHTTPUser(t, base)
	if code := seller.do("GET", strings.TrimPrefix(link, cfg.PublicURL), "", nil); code != http.StatusOK {
		t.Fatalf("seller login link: status %d", code)
	}
	return &showEnv{t: t, base: base, app: app, room: room, seller: seller}
}

// mediaICE asks for the connection's ICE servers over the WebSocket and
// returns them as a relay-only Pion configuration.
func mediaICE(t *testing.T, c *wsClient) (webrtc.Configuration, []signaling.ICEServer) {
	t.Helper()
	ack := c.request("media.ice", map[string]any{})
	var d signaling.ICEAckData
	if err := json.Unmarshal(ack.Data, &d); err != nil || ack.Type != "ack" {
		t.Fatalf("media.ice: %s %s (%v)", ack.Type, ack.Data, err)
	}
	cfg := webrtc.Configuration{ICETransportPolicy: webrtc.ICETransportPolicyRelay}
	for _, s := range d.ICEServers {
		cfg.ICEServers = append(cfg.ICEServers, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	return cfg, d.ICEServers
}

// trickle applies the server's trickled ICE candidates (media.candidate)
// to the connection's one peer, holding those that come before its answer.
type trickle struct {
	mu   sync.Mutex
	pc   *webrtc.PeerConnection
	held []webrtc.ICECandidateInit
}

// tap is a dialTap tap.
func (tr *trickle) tap(m wsMsg) {
	var c webrtc.ICECandidateInit
	if m.Type != "media.candidate" || json.Unmarshal([]byte(m.field("candidate")), &c) != nil {
		return
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.pc == nil {
		tr.held = append(tr.held, c)
		return
	}
	_ = tr.pc.AddICECandidate(c)
}

// answer sets the server's answer on pc and applies the held candidates.
func (tr *trickle) answer(t *testing.T, pc *webrtc.PeerConnection, ans wsMsg) {
	t.Helper()
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: ans.field("sdp")}); err != nil {
		t.Fatal(err)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.pc = pc
	for _, c := range tr.held {
		_ = pc.AddICECandidate(c)
	}
	tr.held = nil
}

// relayOnly reports whether pc's selected candidate pair uses a relay
// candidate on its own side.
func relayOnly(pc *webrtc.PeerConnection) bool {
	for _, tr := range pc.GetTransceivers() {
		var dts []*webrtc.DTLSTransport
		if s := tr.Sender(); s != nil {
			dts = append(dts, s.Transport())
		}
		if r := tr.Receiver(); r != nil {
			dts = append(dts, r.Transport())
		}
		for _, dt := range dts {
			if dt == nil {
				continue
			}
			if p, err := dt.ICETransport().GetSelectedCandidatePair(); err == nil && p != nil {
				return p.Local.Typ == webrtc.ICECandidateTypeRelay
			}
		}
	}
	return false
}

// TestMediaICEOverWebSocketRelaysThroughCoturn: with SFU_TURN_URLS and
// SFU_TURN_SECRET set, media.ice hands a joined seller and a joined viewer
// each a TURN credential of its own, expiring after SFU_TURN_TTL, which
// coturn (on loopback, time-limited credentials) accepts: a seller that may
// only relay publishes over the WebSocket, and a viewer that may only relay
// watches over it. A connection that has not joined gets no credential.
func TestMediaICEOverWebSocketRelaysThroughCoturn(t *testing.T) {
	if testing.Short() {
		t.Skip("runs coturn and two WebRTC peers")
	}
	turn := testenv.StartCoturn(t, turnTestSecret)
	e := newTURNShow(t, "turn:"+turn.Addr+"?transport=udp")
	e.goLive()

	// Not joined: nothing minted.
	var sellerICE, guestICE trickle
	seller := e.seller.dialTap(sellerICE.tap)
	if code := seller.requestErr("media.ice", map[string]any{}); code != "not_joined" {
		t.Fatalf("media.ice before join: %q, want not_joined", code)
	}
	seller.request("join", map[string]any{"room_id": e.room.RoomID})
	asked := time.Now()
	cfg, servers := mediaICE(t, seller)
	if len(servers) != 1 || servers[0].Username == "" || servers[0].Credential == "" {
		t.Fatalf("media.ice gave %+v, want the TURN server with a credential", servers)
	}
	sec, err := strconv.ParseInt(strings.SplitN(servers[0].Username, ":", 2)[0], 10, 64)
	if ttl := time.Unix(sec, 0).Sub(asked); err != nil || ttl < 55*time.Second || ttl > 65*time.Second {
		t.Errorf("the credential %q expires in %v, want SFU_TURN_TTL (1m)", servers[0].Username, ttl)
	}
	if _, again := mediaICE(t, seller); again[0].Username == servers[0].Username {
		t.Errorf("two media.ice requests got the same TURN username %q", again[0].Username)
	}

	// The seller publishes relay-only over the WebSocket.
	pub, err := pionAPI(t).NewPeerConnection(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Close() })
	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "pub")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pub.AddTrack(track); err != nil {
		t.Fatal(err)
	}
	offer := gatheredOffer(t, pub)
	if !strings.Contains(offer, "typ relay") || strings.Contains(offer, "typ host") {
		t.Fatalf("the relay-only offer has no relay candidate (coturn refused the credential?):\n%s", offer)
	}
	sellerICE.answer(t, pub, seller.request("media.publish", map[string]any{"sdp": offer}))
	t.Cleanup(sendVP8(track))

	// A guest watches relay-only over the WebSocket.
	guest := e.guest("rita").dialTap(guestICE.tap)
	guest.request("join", map[string]any{"room_id": e.room.RoomID})
	vcfg, vservers := mediaICE(t, guest)
	if len(vservers) != 1 || vservers[0].Username == servers[0].Username {
		t.Fatalf("the viewer got %+v, want a credential of its own", vservers)
	}
	view, err := pionAPI(t).NewPeerConnection(vcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { view.Close() })
	if _, err := view.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo,
		webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	var packets atomic.Int64
	view.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
			packets.Add(1)
		}
	})
	guestICE.answer(t, view, guest.request("media.subscribe", map[string]any{"sdp": gatheredOffer(t, view)}))
	deadline := time.Now().Add(20 * time.Second)
	for packets.Load() < 30 {
		if time.Now().After(deadline) {
			t.Fatalf("the relayed viewer got %d packets in 20 s (publisher %s, viewer %s)",
				packets.Load(), pub.ConnectionState(), view.ConnectionState())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !relayOnly(pub) || !relayOnly(view) {
		t.Errorf("selected pairs not relayed: publisher %v, viewer %v", relayOnly(pub), relayOnly(view))
	}
}
