package sfu

import (
	"encoding/binary"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/webrtc/v4"
)

// testLogger discards logs unless -v, where it shows warnings.
func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// newTestServer starts a Server on loopback with a WHIP/WHEP test server.
func newTestServer(t testing.TB, mod func(*Config)) (*Server, *httptest.Server, *StaticAuthorizer) {
	t.Helper()
	cfg := Config{
		ICEUDPAddr: "127.0.0.1:0", ICETCPAddr: "off", LoopbackCandidates: true,
		Logger: testLogger(t), StatsInterval: 100 * time.Millisecond,
		ICEServers: []ICEServer{{URLs: []string{"stun:stun.example.org:3478"}}},
	}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	auth := &StaticAuthorizer{}
	auth.SetRoom("room1", "pub-secret", "")
	auth.SetRoom("room2", "pub-secret", "")
	auth.SetRoom("private", "pub-secret", "view-secret")
	hs := httptest.NewServer(NewHTTPHandler(srv, auth))
	t.Cleanup(func() {
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv, hs, auth
}

// clientAPI builds a Pion API for in-process peers on loopback only. drop,
// when set, discards incoming RTP before the NACK generator sees it.
func clientAPI(t testing.TB, drop *dropFactory) *webrtc.API {
	t.Helper()
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	// Browsers accept a retransmission up to 1,024 packets behind the
	// newest (libwebrtc's SRTP replay window); Pion's default of 64 would
	// refuse one lost in a cached group of pictures replayed at join.
	se.SetSRTPReplayProtectionWindow(1024)
	if drop != nil {
		// The drop interceptor runs after SRTP decryption, which has
		// already recorded the packet; without this the retransmission
		// would be rejected as a replay, which a real lost packet is not.
		se.DisableSRTPReplayProtection(true)
	}
	me := &webrtc.MediaEngine{}
	for _, c := range serverCodecs {
		if err := me.RegisterCodec(c.params, c.kind); err != nil {
			t.Fatal(err)
		}
	}
	if err := webrtc.ConfigureSimulcastExtensionHeaders(me); err != nil {
		t.Fatal(err)
	}
	ir := &interceptor.Registry{}
	if drop != nil {
		ir.Add(drop)
	}
	gen, err := nack.NewGeneratorInterceptor(nack.GeneratorInterval(20 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ir.Add(gen)
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		t.Fatal(err)
	}
	return webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir))
}

// localOffer creates an offer and waits for complete gathering.
func localOffer(t testing.TB, pc *webrtc.PeerConnection) string {
	t.Helper()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-done
	return pc.LocalDescription().SDP
}

func setAnswer(t testing.TB, pc *webrtc.PeerConnection, answer string) {
	t.Helper()
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatalf("set answer: %v", err)
	}
}

// post sends a WHIP/WHEP request and returns status, Location and body.
func post(t testing.TB, url, token, contentType, body string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func doRequest(t testing.TB, method, url string) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkGoroutines fails if goroutines started during the test survive it.
func checkGoroutines(t *testing.T, before int) {
	t.Helper()
	http.DefaultClient.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= before {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("goroutine leak: %d before, %d after\n%s", before, n, buf)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// dropFactory is an interceptor that drops chosen incoming RTP packets the
// first time they arrive, as a lossy network would.
type dropFactory struct {
	every   int
	dropped atomic.Int64
}

func (f *dropFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &dropInterceptor{f: f, seen: map[uint16]bool{}}, nil
}

type dropInterceptor struct {
	interceptor.NoOp
	f    *dropFactory
	mu   sync.Mutex
	seen map[uint16]bool
	n    int
}

func (d *dropInterceptor) BindRemoteStream(info *interceptor.StreamInfo, r interceptor.RTPReader) interceptor.RTPReader {
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		for {
			n, attr, err := r.Read(b, a)
			if err != nil || n < 4 {
				return n, attr, err
			}
			seq := binary.BigEndian.Uint16(b[2:4])
			d.mu.Lock()
			drop := false
			if !d.seen[seq] {
				d.seen[seq] = true
				d.n++
				drop = d.n%d.f.every == 0
			}
			d.mu.Unlock()
			if !drop {
				return n, attr, err
			}
			d.f.dropped.Add(1)
		}
	})
}
