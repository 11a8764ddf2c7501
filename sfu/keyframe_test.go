package sfu

import "testing"

// TestKeyframeDetectionPacketizations covers how publishers other than
// Pion packetize a keyframe: H.264 packetization-mode 0 (one NAL unit per
// packet, e.g. some ffmpeg and GStreamer pipelines) and mode 1 with the
// parameter sets aggregated (aiortc, libwebrtc) or sent alone (OBS), and
// VP8 with every payload descriptor extension.
func TestKeyframeDetectionPacketizations(t *testing.T) {
	tests := []struct {
		name string
		vp8  bool
		b    []byte
		want bool
	}{
		{"h264 mode 0: PPS alone is not a start", false, []byte{0x68, 0xce}, false},
		{"h264 mode 0: SEI", false, []byte{0x06, 0x05}, false},
		{"h264 mode 0: access unit delimiter", false, []byte{0x09, 0x10}, false},
		{"h264 STAP-A PPS then IDR", false, []byte{0x78, 0, 2, 0x68, 0xce, 0, 2, 0x65, 0x88}, true},
		{"h264 STAP-A SEI then SPS", false, []byte{0x78, 0, 1, 0x06, 0, 2, 0x67, 0x42}, true},
		{"h264 STAP-A zero-size unit", false, []byte{0x78, 0, 0, 0x67}, false},
		{"h264 FU-A IDR end fragment", false, []byte{0x7c, 0x45, 1}, false},
		{"h264 FU-A truncated", false, []byte{0x7c}, false},
		{"h264 forbidden bit ignored for type", false, []byte{0xe5, 1}, true},
		{"vp8 key with T and K (TID/KEYIDX byte)", true, []byte{0x90, 0x30, 0x40, 0x00}, true},
		{"vp8 inter with all extensions", true, []byte{0x90, 0xf0, 0x80, 0x01, 0x05, 0x40, 0x01}, false},
		{"vp8 key with all extensions", true, []byte{0x90, 0xf0, 0x80, 0x01, 0x05, 0x40, 0x00}, true},
		{"vp8 start of partition 1", true, []byte{0x11, 0x00}, false},
		{"vp8 descriptor only", true, []byte{0x10}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := isH264Keyframe(tc.b)
			if tc.vp8 {
				got = isVP8Keyframe(tc.b)
			}
			if got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// FuzzKeyframeDetection feeds arbitrary payloads to both detectors: they
// must never panic, and an H.264 payload whose first unit is not an
// aggregate, a fragment, an IDR or an SPS is never a keyframe.
func FuzzKeyframeDetection(f *testing.F) {
	for _, seed := range [][]byte{{0x65}, {0x78, 0, 2, 0x67, 0x42}, {0x7c, 0x85}, {0x90, 0xf0, 0x80, 0x01, 0x05, 0x40, 0x00}, {}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = isVP8Keyframe(b)
		key := isH264Keyframe(b)
		if len(b) > 0 {
			switch b[0] & 0x1f {
			case naluIDR, naluSPS, naluSTAPA, naluFUA:
			default:
				if key {
					t.Fatalf("payload of NAL type %d called a keyframe", b[0]&0x1f)
				}
			}
		}
	})
}
