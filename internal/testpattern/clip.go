package testpattern

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/pion/rtp/codecs"
)

// Frame is one access unit of the clip, already split into RTP payloads.
type Frame struct {
	Payloads [][]byte
	Keyframe bool
}

// Clip is a looped H.264 sequence at a fixed frame rate.
type Clip struct {
	Frames []Frame
	FPS    int
}

// ClipSpec describes the clip to generate with ffmpeg when none is given.
type ClipSpec struct {
	Width, Height, FPS int
	BitrateKbps        int
	GOP                int
	Seconds            int
}

// DefaultClipSpec is 720p30 at 1.5 Mbit/s with a keyframe every 2 s.
var DefaultClipSpec = ClipSpec{Width: 1280, Height: 720, FPS: 30, BitrateKbps: 1500, GOP: 60, Seconds: 10}

// EnsureClip returns path if it exists, or generates the clip there with
// ffmpeg (constrained baseline, Annex B) so runs are reproducible.
func EnsureClip(ctx context.Context, path string, spec ClipSpec) error {
	return ensureWithFFmpeg(ctx, path, ".tmp",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=%dx%d:rate=%d", spec.Width, spec.Height, spec.FPS),
		"-t", fmt.Sprint(spec.Seconds),
		"-c:v", "libx264", "-profile:v", "baseline", "-level", "3.1", "-pix_fmt", "yuv420p",
		"-g", fmt.Sprint(spec.GOP), "-keyint_min", fmt.Sprint(spec.GOP), "-sc_threshold", "0",
		"-b:v", fmt.Sprintf("%dk", spec.BitrateKbps), "-maxrate", fmt.Sprintf("%dk", spec.BitrateKbps),
		"-bufsize", fmt.Sprintf("%dk", spec.BitrateKbps), "-tune", "zerolatency",
		"-bsf:v", "h264_mp4toannexb", "-f", "h264")
}

// ensureWithFFmpeg makes path with ffmpeg unless it exists. args are
// ffmpeg's input and encoding options; the output goes to a temporary file
// beside path (path+tmpExt, whose extension may tell ffmpeg the format)
// that is renamed into place only when ffmpeg succeeds.
func ensureWithFFmpeg(ctx context.Context, path, tmpExt string, args ...string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		return fmt.Errorf("ffmpeg not found (apt-get install -y ffmpeg): %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create clip dir: %w", err)
	}
	tmp := path + tmpExt
	args = append(append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...), tmp)
	if out, err := exec.CommandContext(ctx, ff, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("ffmpeg: %w: %s", err, out)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("store clip: %w", err)
	}
	return nil
}

// LoadClip reads an Annex B H.264 file and packetizes every access unit
// with Pion's H.264 payloader (SPS and PPS aggregated in a STAP-A).
func LoadClip(path string, fps int) (*Clip, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read clip: %w", err)
	}
	aus := splitAccessUnits(data)
	if len(aus) == 0 {
		return nil, errors.New("clip has no H.264 access units")
	}
	clip := &Clip{FPS: fps}
	pay := &codecs.H264Payloader{}
	for _, au := range aus {
		f := Frame{Keyframe: au.key}
		var buf bytes.Buffer
		for _, n := range au.nalus {
			buf.Write([]byte{0, 0, 0, 1})
			buf.Write(n)
		}
		for _, p := range pay.Payload(1200, buf.Bytes()) {
			f.Payloads = append(f.Payloads, append([]byte(nil), p...))
		}
		if len(f.Payloads) > 0 {
			clip.Frames = append(clip.Frames, f)
		}
	}
	if !clip.Frames[0].Keyframe {
		return nil, errors.New("clip does not start with a keyframe")
	}
	return clip, nil
}

// NextKeyframe returns the index of the first keyframe after i (wrapping).
func (c *Clip) NextKeyframe(i int) int {
	for k := 1; k <= len(c.Frames); k++ {
		j := (i + k) % len(c.Frames)
		if c.Frames[j].Keyframe {
			return j
		}
	}
	return 0
}

type accessUnit struct {
	nalus [][]byte
	key   bool
	vcl   bool
}

// splitAccessUnits splits an Annex B stream into NAL units and groups them
// into access units: a new one starts at an AUD, at parameter sets or SEI
// after a picture, or at a slice whose first_mb_in_slice is 0.
func splitAccessUnits(b []byte) []accessUnit {
	var out []accessUnit
	cur := accessUnit{}
	flush := func() {
		if len(cur.nalus) > 0 && cur.vcl {
			out = append(out, cur)
		}
		cur = accessUnit{}
	}
	for _, n := range splitNALUs(b) {
		if len(n) == 0 {
			continue
		}
		typ := n[0] & 0x1f
		switch {
		case typ == 9:
			flush()
			continue // access unit delimiters are not needed over RTP
		case (typ == 6 || typ == 7 || typ == 8) && cur.vcl:
			flush()
		case (typ == 1 || typ == 5) && cur.vcl && len(n) > 1 && n[1]&0x80 != 0:
			flush()
		}
		cur.nalus = append(cur.nalus, n)
		if typ == 1 || typ == 5 {
			cur.vcl = true
		}
		if typ == 5 {
			cur.key = true
		}
	}
	flush()
	return out
}

func splitNALUs(b []byte) [][]byte {
	var out [][]byte
	start := -1
	for i := 0; i+2 < len(b); {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			if start >= 0 {
				end := i
				if end > start && b[end-1] == 0 {
					end--
				}
				out = append(out, b[start:end])
			}
			i += 3
			start = i
			continue
		}
		i++
	}
	if start >= 0 && start < len(b) {
		out = append(out, b[start:])
	}
	return out
}
