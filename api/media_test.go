package api

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/internal/testenv"
	"github.com/bidcast/bidcast/media"
)

// The media service is what cmd injects as Deps.Media.
var _ Media = (*media.Service)(nil)

// mediaEnv is an API with a real media service (private Redis, files under
// a temp dir) and its worker running.
type mediaEnv struct {
	*env
	cfg    media.Config
	rdb    *redis.Client
	seller string
	item   string
}

func newMediaEnv(t *testing.T, adjust func(*media.Config)) *mediaEnv {
	t.Helper()
	e := &env{t: t, db: newDB(t), now: time.Now()}
	opt, err := redis.ParseURL(testenv.StartRedis(t).URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	cfg := media.Config{Dir: filepath.Join(t.TempDir(), "store"), TempDir: filepath.Join(t.TempDir(), "tmp")}
	if adjust != nil {
		adjust(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := media.NewService(cfg, e.db, rdb, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := svc.RunWorker(ctx); err != nil {
			t.Errorf("media worker: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	h, err := New(Config{RateLimit: RateLimitConfig{Disabled: true}}, Deps{DB: e.db, Auth: testAuth{}, Media: svc})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(Prefix+"/", h)
	mux.Handle("GET /media/{key...}", svc.FileServer())
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	me := &mediaEnv{env: e, cfg: cfg.Defaults(), rdb: rdb, seller: e.user("seller", RoleSeller)}
	me.item = e.must(e.do("POST", "/items", me.seller, map[string]any{"title": "Vase"}), 201).str("id")
	return me
}

// upload posts data in the multipart field "file" under the given name.
func (e *mediaEnv) upload(who, itemID, name string, data []byte) resp {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("caption", "skipped")
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	return e.do("POST", "/items/"+itemID+"/media", who, body.String(), "Content-Type", mw.FormDataContentType())
}

// waitMedia polls the item until its entry id leaves processing.
func (e *mediaEnv) waitMedia(id string) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		r := e.must(e.do("GET", "/items/"+e.item, e.seller, nil), 200)
		list, _ := r.Body["media"].([]any)
		for _, m := range list {
			if m := m.(map[string]any); m["id"] == id && m["status"] != "processing" {
				return m
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("media %s still processing after 30 s", id)
	return nil
}

// stored lists the files under the media store and temp dirs.
func (e *mediaEnv) stored() []string {
	var out []string
	for _, dir := range []string{e.cfg.Dir, e.cfg.TempDir} {
		_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				out = append(out, p)
			}
			return nil
		})
	}
	return out
}

func (e *mediaEnv) rows() int {
	e.t.Helper()
	var n int
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM item_media`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	img.Set(0, 0, color.White)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bomb is a tiny PNG whose header declares w×h pixels.
func bomb(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk := append([]byte("IHDR"), ihdr...)
	_ = binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	b.Write(chunk)
	_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestMediaUploadRejected(t *testing.T) {
	e := newMediaEnv(t, func(c *media.Config) { c.MaxImageBytes = 8000 })
	other := e.user("other", RoleSeller)
	bidder := e.user("bidder", RoleBidder)
	admin := e.user("admin", RoleAdmin)
	big := append(pngBytes(t, 4, 4), make([]byte, 9000)...)
	html := []byte("<!doctype html><html><script>alert(1)</script></html>")
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)
	tests := []struct {
		name, who, item, file string
		data                  []byte
		status                int
		code                  string
	}{
		{"decompression bomb", e.seller, e.item, "bomb.png", bomb(200000, 200000), 422, "image_too_big"},
		{"html named jpg", e.seller, e.item, "photo.jpg", html, 415, "unsupported_type"},
		{"svg", e.seller, e.item, "logo.svg", svg, 415, "unsupported_type"},
		{"oversized", e.seller, e.item, "big.png", big, 413, "too_large"},
		{"cut image", e.seller, e.item, "cut.png", pngBytes(t, 8, 8)[:30], 422, "invalid_file"},
		{"another seller's item", other, e.item, "p.png", pngBytes(t, 8, 8), 404, "not_found"},
		{"a bidder", bidder, e.item, "p.png", pngBytes(t, 8, 8), 403, "forbidden"},
		{"signed out", "", e.item, "p.png", pngBytes(t, 8, 8), 401, "unauthorized"},
		{"no such item", e.seller, "6f1c2b1e-0000-4000-8000-000000000000", "p.png", pngBytes(t, 8, 8), 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.upload(tt.who, tt.item, tt.file, tt.data)
			if r.Status != tt.status || r.errCode() != tt.code {
				t.Fatalf("got %d %s, want %d %s", r.Status, r.Raw, tt.status, tt.code)
			}
		})
	}
	t.Run("not multipart", func(t *testing.T) {
		r := e.do("POST", "/items/"+e.item+"/media", e.seller, "x", "Content-Type", "image/png")
		if r.Status != 415 || r.errCode() != "unsupported_media_type" {
			t.Fatalf("got %d %s", r.Status, r.Raw)
		}
	})
	t.Run("no file field", func(t *testing.T) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("caption", "x")
		_ = mw.Close()
		r := e.do("POST", "/items/"+e.item+"/media", e.seller, body.String(), "Content-Type", mw.FormDataContentType())
		if r.Status != 400 || r.errCode() != "invalid_multipart" || r.errField() != "file" {
			t.Fatalf("got %d %s", r.Status, r.Raw)
		}
	})
	if n, left := e.rows(), e.stored(); n != 0 || len(left) != 0 {
		t.Fatalf("rejected uploads left %d rows and files %v", n, left)
	}
	// An admin may upload to anyone's item; the sniffed type wins over the name.
	r := e.must(e.upload(admin, e.item, "photo.jpg", pngBytes(t, 8, 8)), 202)
	if r.str("content_type") != "image/png" || r.str("status") != "processing" {
		t.Fatalf("admin upload: %s", r.Raw)
	}
}

func TestMediaImageLifecycle(t *testing.T) {
	e := newMediaEnv(t, nil)
	other := e.user("other", RoleSeller)
	r := e.must(e.upload(e.seller, e.item, "photo.jpg", pngBytes(t, 1600, 900)), 202)
	id := r.str("id")
	if r.str("kind") != "image" || r.Header.Get("Location") != Prefix+"/items/"+e.item {
		t.Fatalf("upload answer: %v %s", r.Header, r.Raw)
	}
	m := e.waitMedia(id)
	urls, _ := m["urls"].(map[string]any)
	if m["status"] != "ready" || urls["w320"] == nil || urls["w1280"] == nil || m["failure_reason"] != nil {
		t.Fatalf("media %v", m)
	}
	for key, width := range map[string]int{"w320": 320, "w1280": 1280} {
		res, err := http.Get(e.srv.URL + urls[key].(string))
		if err != nil {
			t.Fatal(err)
		}
		cfg, format, err := image.DecodeConfig(res.Body)
		_ = res.Body.Close()
		if err != nil || format != "jpeg" || cfg.Width != width || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s: %v %s %dx%d %v", key, err, format, cfg.Width, cfg.Height, res.Header)
		}
	}
	// A lot of the item shows the photo to anyone, with its URLs.
	room := e.must(e.do("POST", "/rooms", e.seller, map[string]any{"title": "show"}), 201).str("id")
	lot := e.must(e.do("POST", "/rooms/"+room+"/lots", e.seller, validLot(e.item)), 201).str("id")
	pub := e.must(e.do("GET", "/lots/"+lot, "", nil), 200)
	var lotBody struct {
		Item struct {
			Media []struct {
				ID   string            `json:"id"`
				URLs map[string]string `json:"urls"`
			} `json:"media"`
		} `json:"item"`
	}
	if err := json.Unmarshal(pub.Raw, &lotBody); err != nil || len(lotBody.Item.Media) != 1 ||
		lotBody.Item.Media[0].ID != id || lotBody.Item.Media[0].URLs["w1280"] == "" {
		t.Fatalf("the lot's item media: %v %s", err, pub.Raw)
	}
	e.must(e.do("DELETE", "/lots/"+lot, e.seller, nil), 204)
	// Nobody signed out may delete it; another seller can neither see nor delete it.
	if r := e.do("DELETE", "/items/"+e.item+"/media/"+id, "", nil); r.Status != 401 || r.errCode() != "unauthorized" {
		t.Fatalf("signed-out delete: %d %s", r.Status, r.Raw)
	}
	if r := e.do("DELETE", "/items/"+e.item+"/media/"+id, other, nil); r.Status != 404 || r.errCode() != "not_found" {
		t.Fatalf("other seller's delete: %d %s", r.Status, r.Raw)
	}
	if r := e.do("DELETE", "/items/"+e.item+"/media/not-a-uuid", e.seller, nil); r.Status != 404 {
		t.Fatalf("bad media id: %d %s", r.Status, r.Raw)
	}
	e.must(e.do("DELETE", "/items/"+e.item+"/media/"+id, e.seller, nil), 204)
	if r := e.do("DELETE", "/items/"+e.item+"/media/"+id, e.seller, nil); r.Status != 404 || r.errCode() != "not_found" {
		t.Fatalf("second delete: %d %s", r.Status, r.Raw)
	}
	if n, left := e.rows(), e.stored(); n != 0 || len(left) != 0 {
		t.Fatalf("media delete left %d rows and files %v", n, left)
	}
	// Deleting the item deletes the files of its media.
	id = e.must(e.upload(e.seller, e.item, "again.png", pngBytes(t, 64, 64)), 202).str("id")
	e.waitMedia(id)
	if len(e.stored()) == 0 {
		t.Fatal("no files stored")
	}
	e.must(e.do("DELETE", "/items/"+e.item, e.seller, nil), 204)
	if n, left := e.rows(), e.stored(); n != 0 || len(left) != 0 {
		t.Fatalf("item delete left %d rows and files %v", n, left)
	}
}

func TestMediaVideoThroughAPI(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is not installed (make services installs it)")
	}
	clipPath := filepath.Join(t.TempDir(), "clip.mp4")
	out, err := exec.Command("ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi",
		"-i", "testsrc=duration=2:size=320x240:rate=15", "-c:v", "libx264", "-pix_fmt", "yuv420p", clipPath).CombinedOutput()
	if err != nil {
		t.Fatalf("make clip: %v: %s", err, out)
	}
	clip, err := os.ReadFile(clipPath)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		adjust func(*media.Config)
		data   []byte
		status string
		reason string
	}{
		{"ready", nil, clip, "ready", ""},

		{"ffmpeg missing", func(c *media.Config) { c.FFmpegPath = "/nonexistent/ffmpeg" }, clip, "failed", "not available"},
	}
	t.Run("truncated", func(t *testing.T) {
		e := newMediaEnv(t, nil)
		r := e.upload(e.seller, e.item, "clip.mp4", clip[:len(clip)/3])
		if r.Status != 422 || r.errCode() != "invalid_file" || !strings.Contains(string(r.Raw), "incomplete") {
			t.Fatalf("got %d %s", r.Status, r.Raw)
		}
		if n, left := e.rows(), e.stored(); n != 0 || len(left) != 0 {
			t.Fatalf("truncated upload left %d rows and files %v", n, left)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newMediaEnv(t, tt.adjust)
			id := e.must(e.upload(e.seller, e.item, "clip.mov", tt.data), 202).str("id")
			m := e.waitMedia(id)
			reason, _ := m["failure_reason"].(string)
			if m["status"] != tt.status || !strings.Contains(reason, tt.reason) {
				t.Fatalf("media %v; want %s with %q", m, tt.status, tt.reason)
			}
			urls, _ := m["urls"].(map[string]any)
			if tt.status == "failed" {
				if urls != nil {
					t.Fatalf("failed media has urls %v", urls)
				}
				return
			}
			hls, _ := urls["hls"].(string)
			if !strings.HasSuffix(hls, ".m3u8") || urls["poster"] == nil {
				t.Fatalf("urls %v", urls)
			}
			res, err := http.Get(e.srv.URL + hls)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			_ = res.Body.Close()
			if res.StatusCode != 200 || !strings.HasPrefix(string(body), "#EXTM3U") {
				t.Fatalf("playlist: %d %q", res.StatusCode, body)
			}
		})
	}
}

func TestMediaDisabled(t *testing.T) {
	e := newEnv(t, Config{})
	seller := e.user("seller", RoleSeller)
	item := e.must(e.do("POST", "/items", seller, map[string]any{"title": "Vase"}), 201).str("id")
	for _, r := range []resp{
		e.do("POST", "/items/"+item+"/media", seller, "x", "Content-Type", "multipart/form-data; boundary=x"),
		e.do("DELETE", "/items/"+item+"/media/"+item, seller, nil),
	} {
		if r.Status != 503 || r.errCode() != "media_disabled" {
			t.Fatalf("got %d %s", r.Status, r.Raw)
		}
	}
}
