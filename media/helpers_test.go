package media

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
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
	mux := http.NewServeMux()
	mux.Handle("GET /media/{key...}", e.svc.FileServer())
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// upload sends data to Service.Upload as user's file named filename and
// answers the way the API does (package api serves the upload route): the
// status and, for a rejection, {"error":{"code","message"}}, or for an
// accepted upload the entry's id, kind, status and content_type.
func (e *env) upload(user, itemID, filename string, data []byte) (int, map[string]any) {
	e.t.Helper()
	ref, err := e.svc.Upload(context.Background(), user, false, itemID, filename, bytes.NewReader(data))
	return e.answer(err, http.StatusAccepted, map[string]any{"id": ref.ID, "kind": ref.Kind,
		"status": ref.Status, "content_type": ref.ContentType})
}

// answer turns a Service result into the status and body an API sends: ok
// with body on success, the *Error's status and code otherwise. Any other
// error fails the test.
func (e *env) answer(err error, ok int, body map[string]any) (int, map[string]any) {
	e.t.Helper()
	if err == nil {
		return ok, body
	}
	var me *Error
	if !errors.As(err, &me) {
		e.t.Fatalf("not a client error: %v", err)
	}
	status, code, msg := me.Status, me.Code, me.Message
	return status, map[string]any{"error": map[string]any{"code": code, "message": msg}}
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

// codeOf returns the code of the *Error in err's chain, or "" if none.
func codeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
