package media

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bidcast/bidcast/storage"
)

// status returns a media entry's status and failure reason.
func (e *env) status(id string) (status, reason string) {
	e.t.Helper()
	err := e.db.Pool.QueryRow(context.Background(),
		`SELECT status, failure_reason FROM item_media WHERE id = $1`, id).Scan(&status, &reason)
	if err != nil {
		e.t.Fatal(err)
	}
	return status, reason
}

// waitReady waits up to 20 s for a running worker to process upload id,
// and fails the test if it fails instead.
func (e *env) waitReady(id string) {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, reason := e.status(id)
		if st == StatusReady {
			return
		}
		if st == StatusFailed || time.Now().After(deadline) {
			e.t.Fatalf("upload %s: status %s (%s)", id, st, reason)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// get fetches a path from the test server.
func (e *env) get(path string, hdr ...string) (*http.Response, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func TestWorkerImageVariants(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.svc.RunWorker(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	status, out := e.upload(e.seller, e.item, "photo.png", testPNG(t, 400, 300))
	if status != http.StatusAccepted {
		t.Fatalf("upload: %d %v", status, out)
	}
	id := out["id"].(string)
	e.waitReady(id)
	refs, err := e.svc.items.MediaOf(context.Background(), []string{e.item})
	if err != nil || len(refs[e.item]) != 1 {
		t.Fatalf("MediaOf: %v %v", refs, err)
	}
	ref := refs[e.item][0]
	if *ref.Width != 400 || *ref.Height != 300 {
		t.Fatalf("dimensions %dx%d", *ref.Width, *ref.Height)
	}
	urls := e.svc.URLs(ref)
	for role, want := range map[string]int{"w320": 320, "w1280": 400} { // never upscaled
		resp, body := e.get(urls[role])
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", role, resp.StatusCode)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(resp.Header.Get("Cache-Control"), "immutable") ||
			resp.Header.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("%s headers: %v", role, resp.Header)
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
		if err != nil || format != "jpeg" || cfg.Width != want || cfg.Height != want*3/4 {
			t.Fatalf("%s: %s %dx%d %v", role, format, cfg.Width, cfg.Height, err)
		}
	}
	resp, body := e.get(urls["w320"], "Range", "bytes=0-9")
	if resp.StatusCode != http.StatusPartialContent || len(body) != 10 {
		t.Fatalf("range: %d, %d bytes", resp.StatusCode, len(body))
	}
	for _, p := range []string{"/media/../../etc/passwd", "/media/items/%2e%2e/x.jpg", "/media/items/a/b/original"} {
		if resp, _ := e.get(p); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
	}
}

// testClip makes a 2 s clip with ffmpeg, or skips when it is missing.
func testClip(t *testing.T) []byte {
	t.Helper()
	return makeClip(t, "clip.mp4", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac")
}

// makeClip makes a 2 s 320×240 clip with a tone, encoded by the given
// arguments into a file whose name picks the container.
func makeClip(t *testing.T, name string, codec ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is not installed (make services installs it)")
	}
	out := filepath.Join(t.TempDir(), name)
	args := []string{"-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=duration=2:size=320x240:rate=15",
		"-f", "lavfi", "-i", "sine=duration=2"}
	args = append(append(args, codec...), "-shortest", out)
	cmd := exec.Command("ffmpeg", args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make clip: %v: %s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// uploadVideo uploads data through the API and returns the media ID.
func (e *env) uploadVideo(data []byte) string {
	e.t.Helper()
	status, out := e.upload(e.seller, e.item, "clip.mp4", data)
	if status != http.StatusAccepted || out["kind"] != KindVideo {
		e.t.Fatalf("upload: %d %v", status, out)
	}
	return out["id"].(string)
}

// readyVideo uploads clip, processes it and returns the ready entry.
func (e *env) readyVideo(clip []byte) storage.MediaRef {
	e.t.Helper()
	id := e.uploadVideo(clip)
	if err := e.svc.Process(context.Background(), id); err != nil {
		e.t.Fatal(err)
	}
	if st, reason := e.status(id); st != StatusReady {
		e.t.Fatalf("status %s (%s)", st, reason)
	}
	refs, _ := e.svc.items.MediaOf(context.Background(), []string{e.item})
	return refs[e.item][0]
}

func TestWorkerVideoHLS(t *testing.T) {
	clip := testClip(t) // skips without ffmpeg
	e := newEnv(t, nil)
	ref := e.readyVideo(clip)
	if ref.DurationMS == nil || *ref.DurationMS < 1900 || *ref.DurationMS > 2200 || *ref.Width != 320 {
		t.Fatalf("ref %+v", ref)
	}
	urls := e.svc.URLs(ref)
	resp, body := e.get(urls["hls"])
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "#EXTM3U") ||
		resp.Header.Get("Content-Type") != "application/vnd.apple.mpegurl" {
		t.Fatalf("master: %d %q", resp.StatusCode, body)
	}
	if resp, _ := e.get(urls["poster"]); resp.StatusCode != http.StatusOK {
		t.Fatalf("poster: %d", resp.StatusCode)
	}
	master := filepath.Join(e.cfg.Dir, filepath.FromSlash(strings.TrimPrefix(urls["hls"], "/media/")))
	probe, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_type,width,height",
		"-of", "csv=p=0", master).CombinedOutput()
	if err != nil || !strings.Contains(string(probe), "video,320,240") {
		t.Fatalf("ffprobe of %s: %v: %s", master, err, probe)
	}
	if left := files(t, e.cfg.TempDir); len(left) != 0 {
		t.Fatalf("temp files left: %v", left)
	}
}

func TestWorkerVideoFailures(t *testing.T) {
	clip := testClip(t)
	tests := []struct {
		name   string
		adjust func(*Config)
		data   []byte
		reason string
	}{
		{"damaged moov", nil, damagedMoov(t, clip), "probe"}, // a cut file is refused at upload (TestUploadTruncatedVideo)
		{"missing ffmpeg", func(c *Config) { c.FFmpegPath = "/nonexistent/ffmpeg" }, clip, "not available"},
		{"missing ffprobe", func(c *Config) { c.FFprobePath = "no-such-ffprobe" }, clip, "not available"},
		{"ffmpeg fails", func(c *Config) { c.FFmpegPath = "false" }, clip, "false failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.adjust)
			id := e.uploadVideo(tt.data)
			if err := e.svc.Process(context.Background(), id); err != nil {
				t.Fatal(err)
			}
			st, reason := e.status(id)
			if st != StatusFailed || !strings.Contains(reason, tt.reason) {
				t.Fatalf("status %s, reason %q; want failed with %q", st, reason, tt.reason)
			}
			for _, f := range files(t, e.cfg.Dir) {
				if !strings.HasSuffix(f, "original") {
					t.Fatalf("half-made file left: %s", f)
				}
			}
			if left := files(t, e.cfg.TempDir); len(left) != 0 {
				t.Fatalf("temp files left: %v", left)
			}
		})
	}
}

func TestRenditions(t *testing.T) {
	for h, want := range map[int]string{240: "[240]", 360: "[360]", 719: "[360]", 1080: "[360 720]", 101: "[100]"} {
		if got := fmt.Sprint(renditions(h)); got != want {
			t.Errorf("renditions(%d) = %s, want %s", h, got, want)
		}
	}
}

func TestWorkerOtherContainers(t *testing.T) {
	testClip(t) // skips without ffmpeg
	tests := []struct {
		name, file, ct string
		codec          []string
	}{
		{"webm", "clip.webm", TypeWebM, []string{"-c:v", "libvpx", "-deadline", "realtime", "-b:v", "300k", "-c:a", "libopus"}},
		{"mov", "clip.mov", TypeMOV, []string{"-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			ref, err := e.svc.Upload(context.Background(), e.seller, false, e.item, tt.file,
				bytes.NewReader(makeClip(t, tt.file, tt.codec...)))
			if err != nil || ref.ContentType != tt.ct {
				t.Fatalf("upload: %+v %v", ref, err)
			}
			if err := e.svc.Process(context.Background(), ref.ID); err != nil {
				t.Fatal(err)
			}
			if st, reason := e.status(ref.ID); st != StatusReady {
				t.Fatalf("status %s (%s)", st, reason)
			}
		})
	}
}

// TestDeleteAnswers checks what a client is told when deleting: another
// seller's media is not found, the owner's goes (204), and a second delete
// finds nothing. (Signed-out deletes are the API's: its route tests them.)
func TestDeleteAnswers(t *testing.T) {
	e := newEnv(t, nil)
	ref, err := e.svc.Upload(context.Background(), e.seller, false, e.item, "a.png", bytes.NewReader(testPNG(t, 8, 8)))
	if err != nil {
		t.Fatal(err)
	}
	del := func(user string) int {
		status, _ := e.answer(e.svc.Delete(context.Background(), user, false, e.item, ref.ID), http.StatusNoContent, nil)
		return status
	}
	if got := del(e.other); got != http.StatusNotFound {
		t.Fatalf("other seller: %d", got)
	}
	if got := del(e.seller); got != http.StatusNoContent {
		t.Fatalf("owner: %d", got)
	}
	if got := del(e.seller); got != http.StatusNotFound {
		t.Fatalf("again: %d", got)
	}
	if e.mediaCount() != 0 || len(files(t, e.cfg.Dir)) != 0 {
		t.Fatal("row or files left")
	}
}
