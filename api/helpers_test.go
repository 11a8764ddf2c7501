package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bidcast/bidcast/storage"
	"github.com/bidcast/bidcast/storage/storagetest"
)

// newDB returns a DB on a private schema with every migration applied.
func newDB(t *testing.T) *storage.DB {
	t.Helper()
	return storagetest.New(t)
}

// testAuth reads the caller from X-Test-User: "<user id> <role>", with role
// "guest" for a guest bidder; "bad" is an invalid credential.
type testAuth struct{}

func (testAuth) Authenticate(r *http.Request) (Principal, error) {
	v := r.Header.Get("X-Test-User")
	if v == "" {
		return Principal{}, nil
	}
	if v == "bad" {
		return Principal{}, ErrUnauthenticated
	}
	id, role, _ := strings.Cut(v, " ")
	p := Principal{UserID: id, Role: role, DisplayName: "user"}
	if role == "guest" {
		p.Role, p.Guest = RoleBidder, true
	}
	return p, nil
}

// env is one API under test on its own schema.
type env struct {
	t   *testing.T
	db  *storage.DB
	srv *httptest.Server
	now time.Time
}

func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	e := &env{t: t, db: newDB(t), now: time.Now()}
	cfg.RateLimit.Disabled = cfg.RateLimit.Disabled || cfg.RateLimit.PerIP == 0
	h, err := New(cfg, Deps{DB: e.db, Auth: testAuth{}, Redis: testRedis(t, cfg)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(Prefix+"/", h)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// user creates an account and returns the X-Test-User value for it.
func (e *env) user(name, role string) string {
	e.t.Helper()
	users := storage.NewUsers(e.db)
	u, err := users.Upsert(context.Background(), storage.User{Provider: "test", Subject: name, DisplayName: name})
	if err != nil {
		e.t.Fatal(err)
	}
	stored := role
	if role == "guest" {
		stored = RoleBidder
	}
	if stored != RoleBidder {
		if _, err := users.SetRole(context.Background(), u.ID, stored); err != nil {
			e.t.Fatal(err)
		}
	}
	return u.ID + " " + role
}

// uid is the user ID inside an X-Test-User value.
func uid(who string) string { id, _, _ := strings.Cut(who, " "); return id }

// resp is an answer: status, headers and the body decoded as JSON.
type resp struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// errCode is the error code of an error answer.
func (r resp) errCode() string {
	e, _ := r.Body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func (r resp) errField() string {
	e, _ := r.Body["error"].(map[string]any)
	s, _ := e["field"].(string)
	return s
}

func (r resp) str(key string) string { s, _ := r.Body[key].(string); return s }

func (r resp) list() []map[string]any {
	var out []map[string]any
	items, _ := r.Body["items"].([]any)
	for _, it := range items {
		out = append(out, it.(map[string]any))
	}
	return out
}

// do sends a request. body may be nil, a string (sent as is) or a value
// encoded as JSON; hdr alternates names and values.
func (e *env) do(method, path, who string, body any, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+Prefix+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if who != "" {
		req.Header.Set("X-Test-User", who)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := resp{Status: res.StatusCode, Header: res.Header, Raw: raw}
	_ = json.Unmarshal(raw, &out.Body)
	return out
}

// must fails the test unless r has the wanted status.
func (e *env) must(r resp, status int) resp {
	e.t.Helper()
	if r.Status != status {
		e.t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	return r
}
