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
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
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

// fakePublisher sends synthetic H.264 (or VP8) frames at 30 fps on one or
// more simulcast layers and answers PLIs with a keyframe.
type fakePublisher struct {
	pc       *webrtc.PeerConnection
	layers   []*pubLayer
	mime     string
	plis     atomic.Int32
	forceKey atomic.Bool
	sender   *webrtc.RTPSender
	stop     chan struct{}
	wg       sync.WaitGroup
}

type pubLayer struct {
	track *webrtc.TrackLocalStaticRTP
	id    byte // written into every payload so viewers can tell layers apart
	size  int  // payload bytes per packet
	seq   uint16
}

func newFakePublisher(t testing.TB, api *webrtc.API, mime string, rids ...string) *fakePublisher {
	t.Helper()
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	p := &fakePublisher{pc: pc, mime: mime, stop: make(chan struct{})}
	capab := webrtc.RTPCodecCapability{MimeType: mime, ClockRate: 90000}
	if mime == webrtc.MimeTypeH264 {
		capab.SDPFmtpLine = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"
	}
	if len(rids) == 0 {
		rids = []string{""}
	}
	var sender *webrtc.RTPSender
	for i, rid := range rids {
		var opts []func(*webrtc.TrackLocalStaticRTP)
		if rid != "" {
			opts = append(opts, webrtc.WithRTPStreamID(rid))
		}
		tr, err := webrtc.NewTrackLocalStaticRTP(capab, "video", "pub", opts...)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			sender, err = pc.AddTrack(tr)
		} else {
			err = sender.AddEncoding(tr)
		}
		if err != nil {
			t.Fatal(err)
		}
		p.layers = append(p.layers, &pubLayer{track: tr, id: byte(i + 1), size: 300 * (i + 1), seq: uint16(1000 * (i + 1))})
	}
	p.sender = sender
	for _, rid := range rids {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for {
				var pkts []rtcp.Packet
				var err error
				if rid == "" {
					pkts, _, err = sender.ReadRTCP()
				} else {
					pkts, _, err = sender.ReadSimulcastRTCP(rid)
				}
				if err != nil {
					return
				}
				for _, k := range pkts {
					switch k.(type) {
					case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
						p.plis.Add(1)
						p.forceKey.Store(true)
					}
				}
			}
		}()
	}
	return p
}

// start sends frames until close: a keyframe every gop frames or on PLI.
func (p *fakePublisher) start(gop int) {
	// Simulcast layers are told apart by the mid and rid header
	// extensions, which Pion leaves to the application to write.
	var midID, ridID uint8
	var mid string
	for _, tr := range p.pc.GetTransceivers() {
		if tr.Sender() == p.sender {
			mid = tr.Mid()
		}
	}
	for _, e := range p.sender.GetParameters().HeaderExtensions {
		switch e.URI {
		case sdp.SDESMidURI:
			midID = uint8(e.ID)
		case sdp.SDESRTPStreamIDURI:
			ridID = uint8(e.ID)
		}
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		tick := time.NewTicker(33 * time.Millisecond)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
			key := n%gop == 0 || p.forceKey.Swap(false)
			ts := uint32(n) * 3000
			for _, l := range p.layers {
				for _, pl := range synthFrame(p.mime, key, l.id, l.size) {
					pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: l.seq, Timestamp: ts}, Payload: pl}
					if rid := l.track.RID(); rid != "" && midID != 0 && ridID != 0 {
						_ = pkt.Header.SetExtension(midID, []byte(mid))
						_ = pkt.Header.SetExtension(ridID, []byte(rid))
					}
					l.seq++
					_ = l.track.WriteRTP(pkt)
				}
				// The marker bit on the last packet is not needed by the SFU.
			}
		}
	}()
}

func (p *fakePublisher) close() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	_ = p.pc.Close()
	p.wg.Wait()
}

// synthFrame builds the RTP payloads of one synthetic frame: 3 packets. The
// byte after each NAL/descriptor header is the layer id.
func synthFrame(mime string, key bool, layer byte, size int) [][]byte {
	body := func(extra int) []byte {
		b := make([]byte, size+extra)
		b[extra] = layer
		return b
	}
	if mime == webrtc.MimeTypeVP8 {
		out := make([][]byte, 3)
		for i := range out {
			b := body(2)
			b[0] = 0x00
			if i == 0 {
				b[0] = 0x10 // S bit, partition 0
			}
			b[1] = 0x01 // inter frame
			if key && i == 0 {
				b[1] = 0x00
			}
			out[i] = b
		}
		return out
	}
	var out [][]byte
	if key {
		sps := []byte{0x67, 0x42, 0xe0, 0x1f, layer}
		pps := []byte{0x68, 0xce, 0x3c, 0x80}
		stap := []byte{0x78}
		for _, n := range [][]byte{sps, pps} {
			var sz [2]byte
			binary.BigEndian.PutUint16(sz[:], uint16(len(n)))
			stap = append(stap, sz[:]...)
			stap = append(stap, n...)
		}
		out = append(out, stap)
	}
	nal := byte(0x01)
	if key {
		nal = 0x05
	}
	for i := 0; i < 3; i++ {
		b := body(2)
		b[0] = 0x7c // FU-A, NRI 3
		b[1] = nal
		if i == 0 {
			b[1] |= 0x80
		}
		if i == 2 {
			b[1] |= 0x40
		}
		out = append(out, b)
	}
	return out
}

// fakeViewer receives video and records what arrives.
type fakeViewer struct {
	pc       *webrtc.PeerConnection
	mu       sync.Mutex
	seqs     []uint16
	layers   []byte
	keyAt    []int // indexes of keyframe-start packets in seqs
	firstKey chan struct{}
	keyOnce  sync.Once
	packets  atomic.Int64
	wg       sync.WaitGroup
}

func newFakeViewer(t testing.TB, api *webrtc.API, kinds ...webrtc.RTPCodecType) *fakeViewer {
	t.Helper()
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	if len(kinds) == 0 {
		kinds = []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo}
	}
	for _, k := range kinds {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	v := &fakeViewer{pc: pc, firstKey: make(chan struct{})}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if tr.Kind() != webrtc.RTPCodecTypeVideo {
			return
		}
		v.wg.Add(1)
		defer v.wg.Done()
		mime := tr.Codec().MimeType
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			v.packets.Add(1)
			key := false
			if mime == webrtc.MimeTypeH264 {
				key = isH264Keyframe(pkt.Payload) && pkt.Payload[0] == 0x78
			} else {
				key = isVP8Keyframe(pkt.Payload)
			}
			var layer byte
			switch {
			case len(pkt.Payload) > 7 && pkt.Payload[0] == 0x78:
				layer = pkt.Payload[7] // STAP-A: the byte after the SPS header
			case len(pkt.Payload) > 2:
				layer = pkt.Payload[2]
			}
			v.mu.Lock()
			if key {
				v.keyAt = append(v.keyAt, len(v.seqs))
				v.keyOnce.Do(func() { close(v.firstKey) })
			}
			v.seqs = append(v.seqs, pkt.SequenceNumber)
			v.layers = append(v.layers, layer)
			v.mu.Unlock()
		}
	})
	return v
}

func (v *fakeViewer) close() {
	_ = v.pc.Close()
	v.wg.Wait()
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
