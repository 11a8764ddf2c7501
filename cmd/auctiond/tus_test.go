package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/cookiejar"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bidcast/bidcast/internal/ops"
	"github.com/bidcast/bidcast/internal/testenv"
	"github.com/bidcast/bidcast/storage/storagetest"
)

// TestResumableUploadSurvivesRestart sends half of a photo as a tus upload
// to the real binary, kills it (-9) and starts it again, then asks for the
// offset and sends the rest: the upload finishes and the photo is
// processed.
func TestResumableUploadSurvivesRestart(t *testing.T) {
	bin := testenv.BuildBinary(t, "github.com/bidcast/bidcast/cmd/auctiond")
	addr := testenv.FreeAddr(t)
	base := "http://" + addr
	env := []string{
		"DATABASE_URL=" + storagetest.URL(t), "REDIS_URL=" + testenv.StartRedis(t).URL(),
		"HTTP_ADDR=" + addr, "ADMIN_ADDR=", "PUBLIC_URL=" + base, "DEMO=false",
		"SFU_UDP_ADDR=127.0.0.1:0", "SFU_TCP_ADDR=off", "MEDIA_DIR=" + t.TempDir(),
		"AUTH_RATE_LIMIT_DISABLED=true", "API_RATE_LIMIT_DISABLED=true",
		"AUTH_JWT_KEY=" + "ZXhhbXBsZS1rZXktb2YtYXQtbGVhc3QtMzItYnl0ZXMtbG9uZw==",
	}
	srv := testenv.StartProcess(t, bin, env, "serve")
	srv.WaitHTTP(base+"/readyz", 30*time.Second)
	cmd := exec.Command(bin, "room", "create", "--title", "Upload test", "--seller", "uma", "--json")
	cmd.Env = append(cmd.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("room create: %v", err)
	}
	var room ops.Room
	if err := json.Unmarshal(out, &room); err != nil || room.SellerLoginURL == "" {
		t.Fatalf("room create printed %s (%v)", out, err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	if resp, err := c.Get(room.SellerLoginURL); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	call := func(method, path string, hdr map[string]string, body []byte) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, path, bytes.NewReader(body))
		if !strings.HasPrefix(path, "http") {
			req.URL, _ = req.URL.Parse(base + path)
		}
		req.Header.Set("Tus-Resumable", "1.0.0")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		resp.Body.Close()
		return resp
	}
	var item struct {
		ID string `json:"id"`
	}
	req, _ := http.NewRequest("POST", base+"/api/v1/items", strings.NewReader(`{"title":"Lamp"}`))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := c.Do(req); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create item: %v %v", resp, err)
	} else {
		_ = json.NewDecoder(resp.Body).Decode(&item)
		resp.Body.Close()
	}

	photo := testPhoto(t)
	created := call("POST", "/api/v1/items/"+item.ID+"/uploads", map[string]string{"Upload-Length": strconv.Itoa(len(photo))}, nil)
	loc := created.Header.Get("Location")
	if created.StatusCode != http.StatusCreated || !strings.HasPrefix(loc, base+"/api/v1/uploads/") {
		t.Fatalf("create upload: %d %q", created.StatusCode, loc)
	}
	half := len(photo) / 2
	patch := func(from, to int) *http.Response {
		return call("PATCH", loc, map[string]string{"Content-Type": "application/offset+octet-stream",
			"Upload-Offset": strconv.Itoa(from)}, photo[from:to])
	}
	if resp := patch(0, half); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("first half: %d", resp.StatusCode)
	}

	srv.Kill()
	srv.Start()
	srv.WaitHTTP(base+"/readyz", 30*time.Second)

	head := call("HEAD", loc, nil, nil)
	if head.StatusCode != http.StatusOK || head.Header.Get("Upload-Offset") != strconv.Itoa(half) {
		t.Fatalf("head after restart: %d, offset %q, want %d", head.StatusCode, head.Header.Get("Upload-Offset"), half)
	}
	rest := patch(half, len(photo))
	mediaID := rest.Header.Get("Media-Id")
	if rest.StatusCode != http.StatusNoContent || mediaID == "" {
		t.Fatalf("rest after restart: %d, Media-Id %q", rest.StatusCode, mediaID)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var it struct {
			Media []struct{ ID, Status string } `json:"media"`
		}
		resp, err := c.Get(base + "/api/v1/items/" + item.ID)
		if err == nil {
			_ = json.NewDecoder(resp.Body).Decode(&it)
			resp.Body.Close()
		}
		if len(it.Media) == 1 && it.Media[0].ID == mediaID && it.Media[0].Status == "ready" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the photo was not processed within 20 s: %+v", it.Media)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// testPhoto is a PNG of a few hundred kilobytes.
func testPhoto(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for y := range 300 {
		for x := range 400 {
			img.Set(x, y, color.RGBA{uint8(x*7 + y), uint8(y * 3), uint8(x ^ y), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
