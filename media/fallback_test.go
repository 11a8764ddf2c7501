package media

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestWorkerVideoMP4Fallback checks the progressive MP4 made for players
// without HLS: ffprobe accepts it, it is H.264 main + AAC with the moov
// atom first, and FileServer serves it as video/mp4 with ranges.
func TestWorkerVideoMP4Fallback(t *testing.T) {
	clip := testClip(t) // skips without ffmpeg
	e := newEnv(t, nil)
	ref := e.readyVideo(clip)
	urls := e.svc.URLs(ref)
	if !strings.HasSuffix(urls["mp4"], "/v/fallback.mp4") {
		t.Fatalf("urls %v", urls)
	}
	path := filepath.Join(e.cfg.Dir, filepath.FromSlash(strings.TrimPrefix(urls["mp4"], "/media/")))
	probe, err := exec.Command("ffprobe", "-v", "error", "-show_entries",
		"stream=codec_type,codec_name,profile,width,height", "-of", "csv=p=0", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe of %s: %v: %s", path, err, probe)
	}
	out := string(probe)
	if !strings.Contains(out, "h264,Main,video,320,240") || !strings.Contains(out, "aac,LC,audio") {
		t.Fatalf("ffprobe of fallback.mp4: %s", out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	moov, mdat := bytes.Index(data, []byte("moov")), bytes.Index(data, []byte("mdat"))
	if moov < 0 || mdat < 0 || moov > mdat {
		t.Fatalf("not faststart: moov at %d, mdat at %d", moov, mdat)
	}
	resp, body := e.get(urls["mp4"], "Range", "bytes=0-99")
	if resp.StatusCode != http.StatusPartialContent || len(body) != 100 ||
		resp.Header.Get("Content-Type") != "video/mp4" || resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
		!bytes.Equal(body, data[:100]) {
		t.Fatalf("range of fallback.mp4: %d %d bytes %v", resp.StatusCode, len(body), resp.Header)
	}
	// The original has no extension and is still never served.
	if resp, _ := e.get("/media/" + mediaPrefix(e.item, ref.ID) + "original"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("original served: %d", resp.StatusCode)
	}
}
