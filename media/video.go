package media

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// VideoHeights are the HLS renditions made of every video (never above
// the source's height; a source below the lowest keeps its own).
var VideoHeights = []int{360, 720}

// SegmentSeconds is the target length of an HLS segment.
const SegmentSeconds = 4

// probe is what ffprobe tells about an input.
type probe struct {
	Width, Height int
	Duration      time.Duration
}

// processVideo probes the original, then makes the HLS ladder, a
// progressive MP4 fallback and a poster frame with ffmpeg, and stores
// them under hls/, fallback.mp4 and poster.jpg.
func (s *Service) processVideo(ctx context.Context, m mediaRow) (result, error) {
	work, err := os.MkdirTemp(s.cfg.TempDir, "media-process-*")
	if err != nil {
		return result{}, fmt.Errorf("work dir: %w", err)
	}
	defer os.RemoveAll(work)
	in := filepath.Join(work, "input")
	if err := s.fetch(ctx, m.Key, in); err != nil {
		return result{}, err
	}
	format := "mov" // the demuxer is forced, so ffmpeg never guesses playlists or concat lists
	if m.ContentType == TypeWebM {
		format = "matroska"
	}
	pr, err := s.probe(ctx, format, in)
	if err != nil {
		return result{}, err
	}
	if pr.Duration > s.cfg.MaxVideoLength {
		return result{}, newError(CodeVideoTooLong, fmt.Sprintf("the video lasts %s; videos may last at most %s",
			pr.Duration.Round(100*time.Millisecond), s.cfg.MaxVideoLength))
	}
	out := filepath.Join(work, "hls")
	if err := os.Mkdir(out, 0o750); err != nil {
		return result{}, fmt.Errorf("work dir: %w", err)
	}
	var master strings.Builder
	master.WriteString("#EXTM3U\n#EXT-X-VERSION:3\n")
	for _, h := range renditions(pr.Height) {
		name := fmt.Sprintf("%dp", h)
		scale := fmt.Sprintf("scale=-2:%d,format=yuv420p", h)
		_, err := s.run(ctx, s.cfg.FFmpegPath, "-nostdin", "-hide_banner", "-loglevel", "error",
			"-protocol_whitelist", "file,pipe", "-f", format, "-i", in,
			"-map", "0:v:0", "-map", "0:a:0?", "-vf", scale,
			"-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-sc_threshold", "0",
			"-force_key_frames", fmt.Sprintf("expr:gte(t,n_forced*%d)", SegmentSeconds),
			"-c:a", "aac", "-b:a", "128k", "-ac", "2",
			"-f", "hls", "-hls_time", strconv.Itoa(SegmentSeconds), "-hls_playlist_type", "vod",
			"-hls_segment_filename", filepath.Join(out, name+"_%03d.ts"), filepath.Join(out, name+".m3u8"))
		if err != nil {
			return result{}, fmt.Errorf("transcode %s: %w", name, err)
		}
		w := int(math.Round(float64(pr.Width)*float64(h)/float64(pr.Height)/2)) * 2
		fmt.Fprintf(&master, "#EXT-X-STREAM-INF:BANDWIDTH=%d,RESOLUTION=%dx%d\n%s.m3u8\n",
			bandwidth(out, name, pr.Duration), w, h, name)
	}
	if err := os.WriteFile(filepath.Join(out, "master.m3u8"), []byte(master.String()), 0o640); err != nil {
		return result{}, fmt.Errorf("write master playlist: %w", err)
	}
	fallback := filepath.Join(work, "fallback.mp4")
	if err := s.fallbackMP4(ctx, format, in, fallback, renditions(pr.Height)); err != nil {
		return result{}, err
	}
	poster := filepath.Join(work, "poster.jpg")
	at := min(time.Second, pr.Duration/2)
	if _, err := s.run(ctx, s.cfg.FFmpegPath, "-nostdin", "-hide_banner", "-loglevel", "error",
		"-protocol_whitelist", "file,pipe", "-ss", strconv.FormatFloat(at.Seconds(), 'f', 3, 64),
		"-f", format, "-i", in, "-frames:v", "1",
		"-vf", fmt.Sprintf("scale=-2:%d", renditions(pr.Height)[len(renditions(pr.Height))-1]),
		"-q:v", "3", "-y", poster); err != nil {
		return result{}, fmt.Errorf("poster frame: %w", err)
	}
	prefix := outputPrefix(m.ItemID, m.ID)
	if err := s.putFile(ctx, poster, prefix+"poster.jpg"); err != nil {
		return result{}, err
	}
	if err := s.putFile(ctx, fallback, prefix+"fallback.mp4"); err != nil {
		return result{}, err
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return result{}, fmt.Errorf("list renditions: %w", err)
	}
	for _, e := range entries {
		if e.Name() == "master.m3u8" {
			continue // last, so a reader never finds a master before its renditions
		}
		if err := s.putFile(ctx, filepath.Join(out, e.Name()), prefix+"hls/"+e.Name()); err != nil {
			return result{}, err
		}
	}
	if err := s.putFile(ctx, filepath.Join(out, "master.m3u8"), prefix+"hls/master.m3u8"); err != nil {
		return result{}, err
	}
	ms := int32(min(pr.Duration.Milliseconds(), math.MaxInt32))
	return result{Width: pr.Width, Height: pr.Height, DurationMS: &ms}, nil
}

// FallbackMaxHeight caps the progressive MP4 made for players without HLS.
const FallbackMaxHeight = 720

// fallbackMP4 makes a progressive MP4 (H.264 main profile, AAC when the
// source has audio, moov atom first) no taller than FallbackMaxHeight or
// the tallest rendition, for browsers that play neither HLS natively nor
// through hls.js.
func (s *Service) fallbackMP4(ctx context.Context, format, in, out string, heights []int) error {
	h := min(FallbackMaxHeight, heights[len(heights)-1])
	_, err := s.run(ctx, s.cfg.FFmpegPath, "-nostdin", "-hide_banner", "-loglevel", "error",
		"-protocol_whitelist", "file,pipe", "-f", format, "-i", in,
		"-map", "0:v:0", "-map", "0:a:0?", "-vf", fmt.Sprintf("scale=-2:%d,format=yuv420p", h),
		"-c:v", "libx264", "-profile:v", "main", "-preset", "veryfast", "-crf", "23",
		"-c:a", "aac", "-b:a", "128k", "-ac", "2",
		"-movflags", "+faststart", "-f", "mp4", "-y", out)
	if err != nil {
		return fmt.Errorf("mp4 fallback: %w", err)
	}
	return nil
}

// renditions returns the heights to make for a source of height h.
func renditions(h int) []int {
	var out []int
	for _, v := range VideoHeights {
		if v <= h {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		out = append(out, max(2, h/2*2))
	}
	return out
}

// bandwidth estimates a rendition's peak bit rate from its segments.
func bandwidth(dir, name string, d time.Duration) int {
	var total int64
	matches, _ := filepath.Glob(filepath.Join(dir, name+"_*.ts"))
	for _, p := range matches {
		if st, err := os.Stat(p); err == nil {
			total += st.Size()
		}
	}
	secs := max(d.Seconds(), 1)
	return int(float64(total*8)/secs*1.2) + 1
}

// probe runs ffprobe on a local file and insists on a video stream.
func (s *Service) probe(ctx context.Context, format, path string) (probe, error) {
	out, err := s.run(ctx, s.cfg.FFprobePath, "-v", "error", "-protocol_whitelist", "file",
		"-f", format, "-show_entries", "format=duration:stream=codec_type,width,height", "-of", "json", path)
	if err != nil {
		return probe{}, fmt.Errorf("probe: %w", err)
	}
	var pr struct {
		Streams []struct {
			CodecType string `json:"codec_type"`
			Width     int    `json:"width"`
			Height    int    `json:"height"`
		} `json:"streams"`
		Format struct {
			Duration string `json:"duration"`
		} `json:"format"`
	}
	if err := json.Unmarshal(out, &pr); err != nil {
		return probe{}, fmt.Errorf("probe: unreadable ffprobe output: %w", err)
	}
	var p probe
	for _, st := range pr.Streams {
		if st.CodecType == "video" && st.Width > 0 && st.Height > 0 {
			p.Width, p.Height = st.Width, st.Height
			break
		}
	}
	if p.Width == 0 {
		return probe{}, errors.New("probe: the file has no video stream")
	}
	if p.Width*p.Height > MaxPixels {
		return probe{}, fmt.Errorf("probe: the video is %d×%d pixels, too large", p.Width, p.Height)
	}
	secs, err := strconv.ParseFloat(pr.Format.Duration, 64)
	if err != nil || secs <= 0 || math.IsInf(secs, 0) {
		return probe{}, fmt.Errorf("probe: the file has no usable duration (%q)", pr.Format.Duration)
	}
	p.Duration = time.Duration(secs * float64(time.Second))
	return p, nil
}

// run runs a tool with the context's deadline and returns its stdout;
// a failure says which tool and ends with the tail of its stderr.
func (s *Service) run(ctx context.Context, bin string, args ...string) ([]byte, error) {
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("%s is not available: %w", bin, err)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &tailWriter{buf: &stderr, max: 4096}
	if err := cmd.Run(); err != nil {
		tail := strings.TrimSpace(stderr.String())
		if len(tail) > 500 {
			tail = "…" + tail[len(tail)-500:]
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s timed out: %w", filepath.Base(bin), ctx.Err())
		}
		return nil, fmt.Errorf("%s failed (%w): %s", filepath.Base(bin), err, tail)
	}
	return stdout.Bytes(), nil
}

// fetch copies a stored object to a local file.
func (s *Service) fetch(ctx context.Context, key, dst string) error {
	src, _, err := s.store.Open(ctx, key)
	if err != nil {
		return fmt.Errorf("open original: %w", err)
	}
	defer src.Close()
	f, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("copy original: %w", err)
	}
	if _, err := io.Copy(f, ctxReader{ctx, src}); err != nil {
		_ = f.Close()
		return fmt.Errorf("copy original: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("copy original: %w", err)
	}
	return nil
}

// putFile stores a local file under key.
func (s *Service) putFile(ctx context.Context, path, key string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store %s: %w", key, err)
	}
	defer f.Close()
	if err := s.store.Put(ctx, key, f); err != nil {
		return fmt.Errorf("store %s: %w", key, err)
	}
	return nil
}

// tailWriter keeps at most max bytes, dropping the oldest.
type tailWriter struct {
	buf *bytes.Buffer
	max int
}

// Write appends p and trims the front beyond max.
func (t *tailWriter) Write(p []byte) (int, error) {
	t.buf.Write(p)
	if extra := t.buf.Len() - t.max; extra > 0 {
		t.buf.Next(extra)
	}
	return len(p), nil
}
