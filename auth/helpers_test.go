package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/internal/testenv"
	"github.com/bidcast/bidcast/storage"
	"github.com/bidcast/bidcast/storage/storagetest"
)

// testRedis connects to the Redis of `make services`. Tests share it with
// other packages' tests, so each Service gets its own key prefix and
// nothing is ever flushed.
func testRedis(t *testing.T) redis.UniversalClient {
	t.Helper()
	opt, err := redis.ParseURL(testenv.Require(t, "REDIS_URL"))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// logBuffer collects a Service's log output so tests can search it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is a Service over real Postgres and Redis with a captured log.
type env struct {
	svc   *Service
	db    *storage.DB
	users *storage.Users
	rooms *storage.Rooms
	rdb   redis.UniversalClient
	logs  *logBuffer
	cfg   Config
}

// newEnv builds a Service. The db is created only when withDB is set:
// JWT-only tests do not need a schema.
func newEnv(t *testing.T, withDB bool, mod func(*Config)) *env {
	t.Helper()
	e := &env{rdb: testRedis(t), logs: &logBuffer{}}
	e.cfg = Config{
		PublicURL:   "http://127.0.0.1:8080",
		JWTKey:      []byte("0123456789abcdef0123456789abcdef-test-key"),
		RedisPrefix: "test:auth:" + randomToken(6) + ":",
	}
	if mod != nil {
		mod(&e.cfg)
	}
	var users Users
	var opts []Option
	if withDB {
		e.db = storagetest.New(t)
		e.users, e.rooms = storage.NewUsers(e.db), storage.NewRooms(e.db)
		users = e.users
		opts = append(opts, WithRooms(e.rooms))
	}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc, err := NewService(e.cfg, users, e.rdb, log, opts...)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		iter := e.rdb.Scan(ctx, 0, e.cfg.RedisPrefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			e.rdb.Del(ctx, iter.Val())
		}
	})
	return e
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newClient is a browser-like client with a cookie jar that does not follow
// redirects, so tests can look at each hop.
func newClient(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// do sends a request with the headers a same-origin browser fetch has.
func do(t *testing.T, c *http.Client, method, url, body string, hdr ...string) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// errCode reads the code of a JSON error answer.
func errCode(t *testing.T, resp *http.Response) string {
	t.Helper()
	var b struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		t.Fatalf("decode error body (status %d): %v", resp.StatusCode, err)
	}
	return b.Error.Code
}

// serve runs the Service's routes on an httptest server.
func (e *env) serve(t *testing.T) *httptest.Server {
	ts := httptest.NewServer(e.svc.Routes())
	t.Cleanup(ts.Close)
	return ts
}

// makeUser stores a user with a role.
func (e *env) makeUser(t *testing.T, name, role string) storage.User {
	t.Helper()
	u, err := e.users.Upsert(ctxT(t), storage.User{Provider: "test", Subject: name, DisplayName: name})
	if err != nil {
		t.Fatal(err)
	}
	if role != RoleBidder {
		if u, err = e.users.SetRole(ctxT(t), u.ID, role); err != nil {
			t.Fatal(err)
		}
	}
	return u
}

// cookieValue finds a cookie set on resp.
func cookieValue(resp *http.Response, name string) string {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// codeOf returns the stable client code of err, "internal" for errors that
// are not ours.
func codeOf(err error) string { return asError(err).Code }
