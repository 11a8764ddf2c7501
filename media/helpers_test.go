package media

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/internal/testenv"
	"github.com/bidcast/bidcast/storage"
	"github.com/bidcast/bidcast/storage/storagetest"
)

// env is a media Service over a fresh schema and a private Redis, with
// its HTTP handlers mounted as the lead mounts them.
type env struct {
	t      *testing.T
	db     *storage.DB
	rdb    redis.UniversalClient
	svc    *Service
	srv    *httptest.Server
	cfg    Config
	seller string
	other  string
	item   string
}

// newEnv starts everything; adjust may change the config first.
func newEnv(t *testing.T, adjust func(*Config)) *env {
	t.Helper()
	e := &env{t: t, db: storagetest.New(t)}
	rs := testenv.StartRedis(t)
	opt, err := redis.ParseURL(rs.URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	e.rdb = rdb
	e.cfg = Config{Dir: filepath.Join(t.TempDir(), "store"), TempDir: filepath.Join(t.TempDir(), "tmp")}
	if adjust != nil {
		adjust(&e.cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	e.svc, err = NewService(e.cfg, e.db, rdb, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	users := storage.NewUsers(e.db)
	for _, name := range []string{"seller", "other"} {
		u, err := users.Upsert(ctx, storage.User{Provider: "test", Subject: name, DisplayName: name})
		if err != nil {
			t.Fatal(err)
		}
		if name == "seller" {
			e.seller = u.ID
		} else {
			e.other = u.ID
		}
	}
	it, err := storage.NewItems(e.db).Create(ctx, storage.Item{SellerID: e.seller, Title: "Vase"})
	if err != nil {
		t.Fatal(err)
	}
	e.item = it.ID
	principal := func(r *http.Request) (string, bool, bool) {
		u := r.Header.Get("X-Test-User")
		return u, r.Header.Get("X-Test-Admin") != "", u != ""
	}
	mux := http.NewServeMux()
	mux.Handle("POST /api/v1/items/{id}/media", e.svc.UploadHandler(principal))
	mux.Handle("DELETE /api/v1/items/{id}/media/{media_id}", e.svc.DeleteHandler(principal))
	mux.Handle("GET /media/{key...}", e.svc.FileServer())
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// upload posts data as the multipart field "file" named filename.
func (e *env) upload(user, itemID, filename string, data []byte) (int, map[string]any) {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("note", "ignored")
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		e.t.Fatal(err)
	}
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/items/"+itemID+"/media", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if user != "" {
		req.Header.Set("X-Test-User", user)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		e.t.Fatalf("decode upload answer (%d): %v", resp.StatusCode, err)
	}
	return resp.StatusCode, out
}

// errorCode returns error.code of an error answer.
func errorCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// files lists the regular files under dir, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// mediaCount returns how many item_media rows exist.
func (e *env) mediaCount() int {
	e.t.Helper()
	var n int
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM item_media`).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}
