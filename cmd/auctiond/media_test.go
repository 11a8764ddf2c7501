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
	// The shared Redis: other tests' servers run media workers there too,
	// each on its own deployment's queue.
	e := newShowOn(t, testenv.Require(t, "REDIS_URL"), 1, time.Minute)
	itemID := uploadPhoto(t, e)

	// A guest may not upload to it.
	g := e.guest("nosy")
	req2, _ := http.NewRequest("POST", e.base+"/api/v1/items/"+itemID+"/media", strings.NewReader("x"))
	req2.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	if resp, err := g.c.Do(req2); err != nil || resp.StatusCode < 400 {
		t.Fatalf("a guest's upload was not refused: %v %v", resp, err)
	}

	dir := mediaRoot(e)
	files := waitVariants(t, e, itemID)
	rel, _ := filepath.Rel(dir, files[0])
	code, _ := get(t, e.base+"/media/"+filepath.ToSlash(rel))
	if code != http.StatusOK {
		t.Fatalf("GET the variant: %d", code)
	}

	if code := e.seller.do("DELETE", "/api/v1/items/"+itemID, "", nil); code != http.StatusNoContent {
		t.Fatalf("delete item: %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "items", itemID)); !os.IsNotExist(err) {
		t.Fatalf("the item's files are still there: %v", err)
	}
}

// uploadPhoto creates an item of e's seller and uploads a 640×480 photo to
// it; it returns the item's ID.
func uploadPhoto(t *testing.T, e *showEnv) string {
	t.Helper()
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
	return item.ID
}

// mediaRoot is the directory of e's server's disk store.
func mediaRoot(e *showEnv) string {
	return e.app.svc.media.Store().(interface{ Root() string }).Root()
}

// waitVariants waits up to 20 s for the image variants of itemID's upload
// and returns their paths.
func waitVariants(t *testing.T, e *showEnv, itemID string) []string {
	t.Helper()
	dir := mediaRoot(e)
	var files []string
	deadline := time.Now().Add(20 * time.Second)
	for len(files) == 0 && time.Now().Before(deadline) {
		files, _ = filepath.Glob(filepath.Join(dir, "items", itemID, "*", "v", "w*.jpg"))
		time.Sleep(100 * time.Millisecond)
	}
	if len(files) == 0 {
		var it map[string]any
		e.seller.do("GET", "/api/v1/items/"+itemID, "", &it)
		all, _ := filepath.Glob(filepath.Join(dir, "items", "*", "*", "*"))
		t.Fatalf("no image variants were made within 20 s: item %v; files %v", it["media"], all)
	}
	return files
}
