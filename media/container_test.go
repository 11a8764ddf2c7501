package media

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"testing"
)

// box is an ISO-BMFF box with a 32-bit size.
func box(typ string, payload []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(payload)))
	return append(append(b, typ...), payload...)
}

// damagedMoov returns the clip with the inside of its moov box
// overwritten, so that its top-level structure is sound but nothing can
// read it: it passes CheckVideo and fails in ffprobe.
func damagedMoov(t *testing.T, clip []byte) []byte {
	t.Helper()
	out := bytes.Clone(clip)
	i := bytes.Index(out, []byte("moov"))
	if i < 4 {
		t.Fatal("no moov box in the test clip")
	}
	n := int(binary.BigEndian.Uint32(out[i-4:]))
	for j := i + 4; j < i-4+n; j++ {
		out[j] = 0xFF
	}
	return out
}

func TestCheckVideo(t *testing.T) {
	mp4 := testClip(t) // skips without ffmpeg
	webm := makeClip(t, "clip.webm", "-c:v", "libvpx", "-deadline", "realtime", "-b:v", "300k", "-c:a", "libopus")
	mov := makeClip(t, "clip.mov", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac")
	ftypBox := box("ftyp", []byte("isom\x00\x00\x02\x00isommp41"))
	large := append(binary.BigEndian.AppendUint32(nil, 1), "mdat"...)
	large = binary.BigEndian.AppendUint64(large, 1<<40) // 1 TiB declared
	tests := []struct {
		name, ct string
		data     []byte
		ok       bool
	}{
		{"mp4", TypeMP4, mp4, true},
		{"mov", TypeMOV, mov, true},
		{"webm", TypeWebM, webm, true},
		{"mp4 cut to a third", TypeMP4, mp4[:len(mp4)/3], false},
		{"mp4 missing its last byte", TypeMP4, mp4[:len(mp4)-1], false},
		{"mov cut", TypeMOV, mov[:len(mov)*2/3], false},
		{"webm cut", TypeWebM, webm[:len(webm)/2], false},
		{"webm header only", TypeWebM, webm[:40], false},
		{"no moov", TypeMP4, append(bytes.Clone(ftypBox), box("mdat", make([]byte, 100))...), false},
		{"box smaller than its header", TypeMP4, append(bytes.Clone(ftypBox), 0, 0, 0, 4, 'f', 'r', 'e', 'e'), false},
		{"huge 64-bit box", TypeMP4, append(bytes.Clone(ftypBox), large...), false},
		{"moov to the end (size 0)", TypeMP4, append(bytes.Clone(ftypBox), append([]byte{0, 0, 0, 0}, "moov...."...)...), true},
		{"images are not checked", TypePNG, []byte("x"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckVideo(bytes.NewReader(tt.data), int64(len(tt.data)), tt.ct)
			if tt.ok != (err == nil) || (err != nil && codeOf(err) != CodeInvalidFile) {
				t.Fatalf("CheckVideo = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// TestUploadTruncatedVideo sends cut videos through the HTTP handler:
// each is refused with invalid_file and leaves no row and no file.
func TestUploadTruncatedVideo(t *testing.T) {
	mp4 := testClip(t)
	webm := makeClip(t, "clip.webm", "-c:v", "libvpx", "-deadline", "realtime", "-b:v", "300k", "-an")
	e := newEnv(t, nil)
	for name, data := range map[string][]byte{"clip.mp4": mp4[:len(mp4)/2], "clip.webm": webm[:len(webm)/2]} {
		status, out := e.upload(e.seller, e.item, name, data)
		if status != http.StatusUnprocessableEntity || errorCode(out) != CodeInvalidFile {
			t.Fatalf("%s: %d %v", name, status, out)
		}
	}
	if n, left := e.mediaCount(), append(files(t, e.cfg.Dir), files(t, e.cfg.TempDir)...); n != 0 || len(left) != 0 {
		t.Fatalf("truncated uploads left %d rows and files %v", n, left)
	}
}

// FuzzCheckVideo feeds arbitrary containers to CheckVideo, which must
// never panic and refuse only with invalid_file.
func FuzzCheckVideo(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x10ftypisom\x00\x00\x02\x00\x00\x00\x00\x08moov"), false)
	f.Add([]byte("\x1a\x45\xdf\xa3\x84webm\x18\x53\x80\x67\x01\xff\xff\xff\xff\xff\xff\xff"), true)
	f.Fuzz(func(t *testing.T, data []byte, webm bool) {
		ct := TypeMP4
		if webm {
			ct = TypeWebM
		}
		if err := CheckVideo(bytes.NewReader(data), int64(len(data)), ct); err != nil && codeOf(err) != CodeInvalidFile {
			t.Fatalf("CheckVideo: %v", err)
		}
	})
}
