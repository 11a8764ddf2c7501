package api

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/bidcast/bidcast/media"
)

// TestRoomThumbnail serves a room's live thumbnail as a JPEG to whoever may
// see the room, and 404 for a room off air, a private room to others, and
// a room that does not exist.
func TestRoomThumbnail(t *testing.T) {
	e := newMediaEnv(t, nil)
	ctx := context.Background()
	public := e.must(e.do("POST", "/rooms", e.seller, map[string]any{"title": "open"}), 201).str("id")
	private := e.must(e.do("POST", "/rooms", e.seller, map[string]any{"title": "closed", "public": false}), 201).str("id")
	jpeg := []byte("\xff\xd8\xff\xe0 a picture \xff\xd9")

	if r := e.do("GET", "/rooms/"+public+"/thumbnail", "", nil); r.Status != 404 || r.errCode() != "not_found" {
		t.Fatalf("off air: %d %s, want 404 not_found", r.Status, r.errCode())
	}
	for _, room := range []string{public, private} {
		if err := media.StoreLiveThumbnail(ctx, e.rdb, room, jpeg, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	get := func(room, who string) (int, string, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", e.srv.URL+Prefix+"/rooms/"+room+"/thumbnail", nil)
		if who != "" {
			req.Header.Set("X-Test-User", who)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), body
	}
	if code, ctype, body := get(public, ""); code != 200 || ctype != "image/jpeg" || string(body) != string(jpeg) {
		t.Errorf("public room: %d %s %q", code, ctype, body)
	}
	if code, _, _ := get(private, ""); code != 404 {
		t.Errorf("private room to an anonymous caller: %d, want 404", code)
	}
	if code, _, body := get(private, e.seller); code != 200 || string(body) != string(jpeg) {
		t.Errorf("private room to its seller: %d", code)
	}
	if code, _, _ := get("00000000-0000-0000-0000-000000000000", ""); code != 404 {
		t.Errorf("unknown room: %d, want 404", code)
	}
}
