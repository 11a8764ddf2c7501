package connect

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/bidcast/bidcast/internal/testenv"
	"github.com/bidcast/bidcast/storage/storagetest"
)

// TestPostgresMigratesOnce opens a fresh schema: the first open brings it
// from version 0 up, the second finds it current.
func TestPostgresMigratesOnce(t *testing.T) {
	url := storagetest.URL(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, from, to, err := Postgres(ctx, url, time.Second, log)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if from != 0 || to <= 0 {
		t.Fatalf("first open migrated %d → %d, want 0 → latest", from, to)
	}
	db, from2, to2, err := Postgres(ctx, url, time.Second, log)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if from2 != to || to2 != to {
		t.Fatalf("second open migrated %d → %d, want %d → %d", from2, to2, to, to)
	}
}

func TestRedis(t *testing.T) {
	url := testenv.Require(t, "REDIS_URL")
	ctx := context.Background()
	for _, tc := range []struct {
		url      string
		poolSize int
		want     int
	}{
		{url, 0, 0},
		{url, 128, 128},
		{url + sep(url) + "pool_size=7", 128, 7},
	} {
		rdb, err := Redis(ctx, tc.url, tc.poolSize)
		if err != nil {
			t.Fatal(err)
		}
		if got := rdb.Options().PoolSize; tc.want != 0 && got != tc.want {
			t.Errorf("%s with %d: pool size %d, want %d", tc.url, tc.poolSize, got, tc.want)
		}
		_ = rdb.Close()
	}
	if _, err := Redis(ctx, "redis://127.0.0.1:1/0", 0); err == nil || !strings.Contains(err.Error(), "reach Redis at 127.0.0.1:1") {
		t.Fatalf("unreachable Redis: %v", err)
	}
	if _, err := Redis(ctx, "http://nope", 0); err == nil || !strings.Contains(err.Error(), "REDIS_URL") {
		t.Fatalf("malformed URL: %v", err)
	}
}

func sep(url string) string {
	if strings.Contains(url, "?") {
		return "&"
	}
	return "?"
}

func TestRedisLoggerLevels(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		want string
	}{
		{`sentinel: new master="bc" addr="127.0.0.1:1"`, "level=INFO"},
		{"sentinel: selected addr=127.0.0.1:2 masterAddr=127.0.0.1:1", "level=INFO"},
		{"redis: connection pool: failed to dial after 5 attempts", "level=WARN"},
		{"sentinel: GetMasterAddrByName failed", "level=WARN"},
	} {
		var b strings.Builder
		l := redisLogger{log: slog.New(slog.NewTextHandler(&b, nil))}
		l.Printf(context.Background(), "%s", tc.msg)
		if !strings.Contains(b.String(), tc.want) || !strings.Contains(b.String(), "component=redis") {
			t.Errorf("%q logged as %q, want %s", tc.msg, b.String(), tc.want)
		}
	}
}
