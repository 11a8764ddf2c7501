package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bidcast/bidcast/internal/testenv"
)

// TestItemMediaThroughTheServer uploads a photo to a seller's item through
// the wired server, sees it processed into variants that are served with
// nosniff, and deletes the item: its files go with it.
func TestItemMediaThroughTheServer(t *testing.T) {
	// A private Redis: the media queue is shared by every server on a
	// Redis, and other tests' workers would take the task.
	e := newShowOn(t, testenv.StartRedis(t).URL(), 1, time.Minute)
	var item struct {
		ID string `json:"id"`
	}
	if code := e.seller.do("POST", "/api/v1/items", `{"title":"Leica M3"}`, &item); code != http.StatusCreated {
		t.Fatalf("create item: %d", code)
	}
	img := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for x := range 640 {
		img.Set(x, x%480, color.RGBA{R: 200, A: 255})
	}
	var photo, body bytes.Buffer
	_ = png.Encode(&photo, img)
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "camera.png")
	fw.Write(photo.Bytes())
	mw.Close()
	req, _ := http.NewRequest("POST", e.base+"/api/v1/items/"+item.ID+"/media", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := e.seller.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("upload: status %d", resp.StatusCode)
	}

	// A guest may not upload to it.
	g := e.guest("nosy")
	req2, _ := http.NewRequest("POST", e.base+"/api/v1/items/"+item.ID+"/media", strings.NewReader("x"))
	req2.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	if resp, err := g.c.Do(req2); err != nil || resp.StatusCode < 400 {
		t.Fatalf("a guest's upload was not refused: %v %v", resp, err)
	}

	dir := e.app.svc.media.Store().(interface{ Root() string }).Root()
	var files []string
	deadline := time.Now().Add(20 * time.Second)
	for len(files) == 0 && time.Now().Before(deadline) {
		files, _ = filepath.Glob(filepath.Join(dir, "items", item.ID, "*", "v", "w*.jpg"))
		time.Sleep(100 * time.Millisecond)
	}
	if len(files) == 0 {
		var it map[string]any
		e.seller.do("GET", "/api/v1/items/"+item.ID, "", &it)
		all, _ := filepath.Glob(filepath.Join(dir, "items", "*", "*", "*"))
		t.Fatalf("no image variants were made within 20 s: item %v; files %v", it["media"], all)
	}
	rel, _ := filepath.Rel(dir, files[0])
	code, _ := get(t, e.base+"/media/"+filepath.ToSlash(rel))
	if code != http.StatusOK {
		t.Fatalf("GET the variant: %d", code)
	}

	if code := e.seller.do("DELETE", "/api/v1/items/"+item.ID, "", nil); code != http.StatusNoContent {
		t.Fatalf("delete item: %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "items", item.ID)); !os.IsNotExist(err) {
		t.Fatalf("the item's files are still there: %v", err)
	}
}
