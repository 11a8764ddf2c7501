package api

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestMediaResumableThroughAPI sends a photo as a tus upload through the
// API's routes: created on the seller's item, resumed from the offset a
// HEAD gives, finished into a media entry that the worker makes ready;
// another seller and a bidder cannot reach it, and a refused type answers
// in the API's error shape.
func TestMediaResumableThroughAPI(t *testing.T) {
	e := newMediaEnv(t, nil)
	other, bidder := e.user("other", RoleSeller), e.user("bidder", RoleBidder)
	img := pngBytes(t, 64, 48)
	tus := func(extra ...string) []string { return append([]string{"Tus-Resumable", "1.0.0"}, extra...) }
	create := func(who, item string, n int) resp {
		return e.do("POST", "/items/"+item+"/uploads", who, nil, tus("Upload-Length", strconv.Itoa(n))...)
	}
	if r := create(other, e.item, len(img)); r.Status != http.StatusNotFound || r.errCode() != "not_found" {
		t.Fatalf("another seller's item: %d %s", r.Status, r.Raw)
	}
	if r := create(bidder, e.item, len(img)); r.Status != http.StatusForbidden {
		t.Fatalf("a bidder: %d %s", r.Status, r.Raw)
	}
	c := create(e.seller, e.item, len(img))
	loc := c.Header.Get("Location")
	if c.Status != http.StatusCreated || !strings.HasPrefix(loc, e.srv.URL+Prefix+"/uploads/") {
		t.Fatalf("create: %d %q %s", c.Status, loc, c.Raw)
	}
	path := strings.TrimPrefix(loc, e.srv.URL+Prefix)
	patch := func(who string, from, to int) resp {
		return e.do("PATCH", path, who, string(img[from:to]), tus("Content-Type", "application/offset+octet-stream",
			"Upload-Offset", strconv.Itoa(from))...)
	}
	half := len(img) / 2
	if r := patch(e.seller, 0, half); r.Status != http.StatusNoContent {
		t.Fatalf("first half: %d %s", r.Status, r.Raw)
	}
	if r := e.do("HEAD", path, other, nil, tus()...); r.Status != http.StatusNotFound {
		t.Fatalf("another seller's HEAD: %d", r.Status)
	}
	if r := patch(other, half, len(img)); r.Status != http.StatusNotFound {
		t.Fatalf("another seller's PATCH: %d", r.Status)
	}
	h := e.do("HEAD", path, e.seller, nil, tus()...)
	if h.Status != http.StatusOK || h.Header.Get("Upload-Offset") != strconv.Itoa(half) {
		t.Fatalf("head: %d %v", h.Status, h.Header)
	}
	r := patch(e.seller, half, len(img))
	id := r.Header.Get("Media-Id")
	if r.Status != http.StatusNoContent || id == "" {
		t.Fatalf("second half: %d %s", r.Status, r.Raw)
	}
	if m := e.waitMedia(id); m["status"] != "ready" || m["urls"] == nil {
		t.Fatalf("entry %v", m)
	}

	html := []byte("<!DOCTYPE html><html><script>alert(1)</script></html>" + strings.Repeat(" ", 600))
	c = create(e.seller, e.item, len(html))
	path = strings.TrimPrefix(c.Header.Get("Location"), e.srv.URL+Prefix)
	bad := e.do("PATCH", path, e.seller, string(html), tus("Content-Type", "application/offset+octet-stream", "Upload-Offset", "0")...)
	if bad.Status != http.StatusUnsupportedMediaType || bad.errCode() != "unsupported_type" {
		t.Fatalf("html: %d %s", bad.Status, bad.Raw)
	}
	if r := e.do("HEAD", path, e.seller, nil, tus()...); r.Status != http.StatusNotFound {
		t.Fatalf("the refused upload is still there: %d", r.Status)
	}
}
