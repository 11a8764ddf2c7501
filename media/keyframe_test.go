package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image/jpeg"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/rtp/codecs"

	"github.com/bidcast/bidcast/internal/testpattern"
)

// TestKeyframeJPEG decodes an H.264 keyframe (the test pattern's, as its
// RTP payloads) and a VP8 one (encoded by ffmpeg, packetized by Pion) into
// JPEGs no wider than asked, and refuses payloads that hold no picture.
func TestKeyframeJPEG(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg is not installed (make installs it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	clip := smallClip(ctx, t)
	if !clip.Frames[0].Keyframe {
		t.Fatal("the clip does not start with a keyframe")
	}

	tests := []struct {
		name      string
		mime      string
		payloads  [][]byte
		width     int
		wantW     int
		wantError bool
	}{
		{"H.264 scaled down", "video/H264", clip.Frames[0].Payloads, 320, 320, false},
		{"H.264 never scaled up", "video/H264", clip.Frames[0].Payloads, 2000, 640, false},
		{"VP8", "video/VP8", vp8Keyframe(t, ctx, ffmpeg), 320, 320, false},
		{"unknown codec", "video/AV1", clip.Frames[0].Payloads, 320, 0, true},
		{"no payloads", "video/H264", nil, 320, 0, true},
		{"VP8 garbage", "video/VP8", [][]byte{{0x10, 1, 2, 3}}, 320, 0, true},
		{"H.264 without its keyframe", "video/H264", clip.Frames[1].Payloads, 320, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := KeyframeJPEG(ctx, ffmpeg, tc.mime, tc.payloads, tc.width)
			if tc.wantError {
				if err == nil {
					t.Fatalf("made a %d-byte picture, want an error", len(out))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			img, err := jpeg.Decode(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("not a JPEG: %v", err)
			}
			if w := img.Bounds().Dx(); w != tc.wantW {
				t.Errorf("width %d, want %d", w, tc.wantW)
			}
		})
	}
	if _, err := KeyframeJPEG(ctx, ffmpeg, "video/H264", nil, 320); !errors.Is(err, errNoPicture) {
		t.Errorf("no payloads: %v, want errNoPicture", err)
	}
}

// smallClip makes a one-second 640x360 H.264 test pattern with ffmpeg and
// returns it as RTP payloads per frame.
func smallClip(ctx context.Context, t *testing.T) *testpattern.Clip {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clip.h264")
	spec := testpattern.ClipSpec{Width: 640, Height: 360, FPS: 30, BitrateKbps: 500, GOP: 30, Seconds: 1}
	if err := testpattern.EnsureClip(ctx, path, spec); err != nil {
		t.Fatal(err)
	}
	clip, err := testpattern.LoadClip(path, 30)
	if err != nil {
		t.Fatal(err)
	}
	return clip
}

// vp8Keyframe encodes one 640x360 VP8 keyframe with ffmpeg and packetizes
// it as a WebRTC sender would.
func vp8Keyframe(t *testing.T, ctx context.Context, ffmpeg string) [][]byte {
	t.Helper()
	out, err := exec.CommandContext(ctx, ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error",
		"-f", "lavfi", "-i", "testsrc=size=640x360:rate=1", "-frames:v", "1",
		"-c:v", "libvpx", "-f", "ivf", "pipe:1").Output()
	if err != nil {
		t.Fatalf("encode VP8: %v", err)
	}
	if len(out) < 44 || string(out[:4]) != "DKIF" {
		t.Fatalf("ffmpeg wrote no IVF (%d bytes)", len(out))
	}
	hdr := binary.LittleEndian.Uint16(out[6:8])
	size := binary.LittleEndian.Uint32(out[hdr : hdr+4])
	frame := out[int(hdr)+12 : int(hdr)+12+int(size)]
	var p codecs.VP8Payloader
	return p.Payload(1200, frame)
}
