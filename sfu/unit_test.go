package sfu

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

func TestKeyframeDetection(t *testing.T) {
	tests := []struct {
		name string
		vp8  bool
		b    []byte
		want bool
	}{
		{"h264 IDR single", false, []byte{0x65, 1, 2}, true},
		{"h264 SPS single", false, []byte{0x67, 0x42}, true},
		{"h264 non-IDR", false, []byte{0x41, 1}, false},
		{"h264 STAP-A with SPS", false, []byte{0x78, 0, 2, 0x67, 0x42, 0, 1, 0x68}, true},
		{"h264 STAP-A without", false, []byte{0x78, 0, 2, 0x06, 0x01, 0, 1, 0x41}, false},
		{"h264 STAP-A truncated", false, []byte{0x78, 0, 9, 0x67}, false},
		{"h264 FU-A IDR start", false, []byte{0x7c, 0x85, 1}, true},
		{"h264 FU-A IDR middle", false, []byte{0x7c, 0x05, 1}, false},
		{"h264 FU-A non-IDR start", false, []byte{0x7c, 0x81, 1}, false},
		{"h264 empty", false, nil, false},
		{"vp8 key", true, []byte{0x10, 0x00}, true},
		{"vp8 inter", true, []byte{0x10, 0x01}, false},
		{"vp8 not start", true, []byte{0x00, 0x00}, false},
		{"vp8 key with 15-bit picture id", true, []byte{0x90, 0x80, 0x81, 0x02, 0x00}, true},
		{"vp8 key with 7-bit pid, tl0, tid", true, []byte{0x90, 0xe0, 0x05, 0x01, 0x02, 0x00}, true},
		{"vp8 truncated", true, []byte{0x90, 0x80}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got bool
			if tc.vp8 {
				got = isVP8Keyframe(tc.b)
			} else {
				got = isH264Keyframe(tc.b)
			}
			if got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPacketParse(t *testing.T) {
	build := func(h rtp.Header, payload []byte, pad byte) []byte {
		pkt := rtp.Packet{Header: h, Payload: payload}
		if pad > 0 {
			pkt.Padding, pkt.PaddingSize = true, pad
		}
		b, err := pkt.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	withExt := rtp.Header{Version: 2, SequenceNumber: 7, Timestamp: 9, Marker: true}
	_ = withExt.SetExtension(1, []byte{1, 2, 3})
	tests := []struct {
		name    string
		raw     []byte
		ok      bool
		payload string
	}{
		{"plain", build(rtp.Header{Version: 2, SequenceNumber: 7, Timestamp: 9}, []byte("abc"), 0), true, "abc"},
		{"extension", build(withExt, []byte("xyz"), 0), true, "xyz"},
		{"csrc", build(rtp.Header{Version: 2, CSRC: []uint32{1, 2}}, []byte("q"), 0), true, "q"},
		{"padding", build(rtp.Header{Version: 2}, []byte("pp"), 4), true, "pp"},
		{"padding only is kept whole", build(rtp.Header{Version: 2}, nil, 4), true, "\x00\x00\x00\x04"},
		{"padding longer than packet", append([]byte{0xa0}, append(make([]byte, 11), 0, 0, 0, 40)...), false, ""},
		{"short", []byte{0x80, 0}, false, ""},
		{"version 1", append([]byte{0x40}, make([]byte, 15)...), false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := getPacket()
			defer p.release()
			n := copy(p.buf[:], tc.raw)
			if got := p.parse(n); got != tc.ok {
				t.Fatalf("parse = %v, want %v", got, tc.ok)
			}
			if tc.ok && string(p.Payload()) != tc.payload {
				t.Fatalf("payload %q, want %q", p.Payload(), tc.payload)
			}
		})
	}
}

func TestNACKBuffer(t *testing.T) {
	b := newNACKBuffer(20) // rounds up to 32
	for i := 0; i < 40; i++ {
		p := getPacket()
		p.seq = uint16(65530 + i) // wraps
		b.put(p)
		p.release()
	}
	base := uint16(65530)
	tests := []struct {
		seq  uint16
		want bool
	}{
		{base, false}, // overwritten
		{base + 39, true},
		{base + 8, true},
		{base + 7, false},
		{100, false},
	}
	for _, tc := range tests {
		p := b.get(tc.seq)
		if (p != nil) != tc.want {
			t.Errorf("get(%d) found=%v, want %v", tc.seq, p != nil, tc.want)
		}
		if p != nil {
			p.release()
		}
	}
	b.clear()
	if p := b.get(base + 39); p != nil {
		t.Fatal("found a packet after clear")
	}
}

func TestCodecsCompatible(t *testing.T) {
	h264 := func(f string) webrtc.RTPCodecCapability {
		return webrtc.RTPCodecCapability{MimeType: "video/H264", ClockRate: 90000, SDPFmtpLine: f}
	}
	cb := "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"
	tests := []struct {
		name       string
		want, have webrtc.RTPCodecCapability
		ok         bool
	}{
		{"same", h264(cb), h264(cb), true},
		{"baseline vs constrained", h264(cb), h264("packetization-mode=1;profile-level-id=42001f"), true},
		{"other level", h264(cb), h264("packetization-mode=1;profile-level-id=42e034"), true},
		{"high profile", h264(cb), h264("packetization-mode=1;profile-level-id=640c1f"), false},
		{"packetization mode 0", h264(cb), h264("profile-level-id=42e01f"), false},
		{"case of mime", h264(cb), webrtc.RTPCodecCapability{MimeType: "video/h264", ClockRate: 90000, SDPFmtpLine: cb}, true},
		{"vp8 vs h264", h264(cb), webrtc.RTPCodecCapability{MimeType: "video/VP8", ClockRate: 90000}, false},
		{"opus", webrtc.RTPCodecCapability{MimeType: "audio/opus", ClockRate: 48000}, webrtc.RTPCodecCapability{MimeType: "audio/OPUS", ClockRate: 48000}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := codecsCompatible(tc.want, tc.have); got != tc.ok {
				t.Fatalf("got %v, want %v", got, tc.ok)
			}
		})
	}
}

func TestChooseLayer(t *testing.T) {
	mk := func(rid string, bps uint64) *pubTrack {
		l := &pubTrack{rid: rid}
		l.st.bitrate.Store(bps)
		return l
	}
	q, h, f := mk("q", 150_000), mk("h", 500_000), mk("f", 1_500_000)
	layers := []*pubTrack{f, q, h}
	sortLayers(layers)
	if layers[0] != q || layers[2] != f {
		t.Fatalf("sort: %s %s %s", layers[0].rid, layers[1].rid, layers[2].rid)
	}
	tests := []struct {
		est  uint64
		want *pubTrack
	}{
		{0, f}, {100_000, q}, {400_000, q}, {600_000, h}, {1_700_000, h}, {1_800_000, f},
	}
	for _, tc := range tests {
		if got := chooseLayer(layers, tc.est); got != tc.want {
			t.Errorf("estimate %d: got %s, want %s", tc.est, got.rid, tc.want.rid)
		}
	}
	if chooseLayer(nil, 1) != nil {
		t.Fatal("layer from nothing")
	}
}

func TestLossEstimator(t *testing.T) {
	e := newLossEstimator()
	if e.Estimate() != 0 {
		t.Fatal("fresh estimator should be unknown")
	}
	e.OnReceiverReport(0.3, 1_000_000)
	if got := e.Estimate(); got != 850_000 {
		t.Fatalf("after 30%% loss: %d", got)
	}
	e.OnReceiverReport(0, 800_000)
	if got := e.Estimate(); got <= 850_000 {
		t.Fatalf("no growth after clean report: %d", got)
	}
	e.OnREMB(300_000)
	if got := e.Estimate(); got != 300_000 {
		t.Fatalf("REMB not applied: %d", got)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"defaults", Config{}, true},
		{"bad udp addr", Config{ICEUDPAddr: "nope"}, false},
		{"hostname not allowed", Config{ICEUDPAddr: "example.com:1"}, false},
		{"tcp off", Config{ICETCPAddr: "off"}, true},
		{"public ip", Config{PublicIPs: []string{"203.0.113.7"}}, true},
		{"bad public ip", Config{PublicIPs: []string{"x"}}, false},
		{"turn server", Config{ICEServers: []ICEServer{{URLs: []string{"turn:t.example:3478"}, Username: "u"}}}, true},
		{"bad ice url", Config{ICEServers: []ICEServer{{URLs: []string{"http://x"}}}}, false},
		{"negative pli", Config{PLIInterval: -time.Second}, false},
		{"too many writers", Config{Writers: 1000}, false},
		{"tiny queue", Config{WriterQueue: 2}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("error %v does not wrap ErrInvalidConfig", err)
			}
		})
	}
	c := Config{}
	_ = c.Validate()
	if c.PLIInterval != 500*time.Millisecond || c.ICEUDPAddr != "127.0.0.1:8443" || c.Logger == nil || !c.LoopbackCandidates {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestHTTPStatus(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{ErrUnauthorized, http.StatusUnauthorized},
		{fmt.Errorf("x: %w", ErrForbidden), http.StatusForbidden},
		{ErrRoomNotFound, http.StatusNotFound},
		{ErrNotLive, http.StatusNotFound},
		{ErrPublisherExists, http.StatusConflict},
		{ErrBadOffer, http.StatusBadRequest},
		{&CodecMismatchError{Kind: "video"}, http.StatusNotAcceptable},
		{ErrTooManySessions, http.StatusServiceUnavailable},
		{&LimitError{Reason: "x"}, http.StatusTooManyRequests},
		{context.DeadlineExceeded, http.StatusGatewayTimeout},
		{errors.New("boom"), http.StatusInternalServerError},
	}
	for _, tc := range tests {
		if got := httpStatus(tc.err); got != tc.want {
			t.Errorf("%v: %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestStaticAuthorizer(t *testing.T) {
	a := &StaticAuthorizer{}
	a.SetRoom("pub", "p", "")
	a.SetRoom("priv", "p", "v")
	ctx := context.Background()
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"publish ok", a.AuthorizePublish(ctx, "pub", "p"), nil},
		{"publish wrong", a.AuthorizePublish(ctx, "pub", "v"), ErrForbidden},
		{"publish none", a.AuthorizePublish(ctx, "pub", ""), ErrUnauthorized},
		{"publish unknown room", a.AuthorizePublish(ctx, "x", "p"), ErrRoomNotFound},
		{"view public", a.AuthorizeView(ctx, "pub", ""), nil},
		{"view private ok", a.AuthorizeView(ctx, "priv", "v"), nil},
		{"view private none", a.AuthorizeView(ctx, "priv", ""), ErrUnauthorized},
		{"view private wrong", a.AuthorizeView(ctx, "priv", "p"), ErrForbidden},
	}
	for _, tc := range tests {
		if !errors.Is(tc.err, tc.want) || (tc.want == nil && tc.err != nil) {
			t.Errorf("%s: %v, want %v", tc.name, tc.err, tc.want)
		}
	}
}

func TestCompatibleLayers(t *testing.T) {
	h264 := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, SDPFmtpLine: "packetization-mode=1;profile-level-id=42e01f"}
	vp8 := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	a, b := &pubTrack{rid: "a", codec: h264}, &pubTrack{rid: "b", codec: vp8}
	tests := []struct {
		name   string
		layers []*pubTrack
		viewer webrtc.RTPCodecCapability
		want   int
	}{
		{"all compatible", []*pubTrack{a}, h264, 1},
		{"publisher switched codec", []*pubTrack{b}, h264, 0},
		{"mixed", []*pubTrack{b, a}, h264, 1},
		{"none", nil, vp8, 0},
	}
	for _, tc := range tests {
		if got := len(compatibleLayers(tc.layers, tc.viewer)); got != tc.want {
			t.Errorf("%s: %d layers, want %d", tc.name, got, tc.want)
		}
	}
}
