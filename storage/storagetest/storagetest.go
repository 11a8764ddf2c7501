// Package storagetest gives each test a private, migrated schema in the real
// Postgres started by `make services`, and drops it when the test ends.
package storagetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bidcast/bidcast/internal/testenv"
	"github.com/bidcast/bidcast/storage"
)

// New returns a DB whose connections see only a fresh schema made for this
// test, with every migration applied.
func New(t testing.TB) *storage.DB {
	t.Helper()
	url, schema := newSchema(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := storage.Open(ctx, storage.Config{URL: url, SearchPath: schema, MaxConns: 8}, log)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(db.Close)
	if _, _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate schema %s: %v", schema, err)
	}
	return db
}

// URL returns a connection URL whose search_path is a fresh, empty schema for
// this test, for code that opens its own pool (a server under test, say).
// The schema is dropped when the test ends.
func URL(t testing.TB) string {
	t.Helper()
	url, schema := newSchema(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "search_path=" + schema
}

// newSchema creates a uniquely named schema and registers its removal.
func newSchema(t testing.TB) (url, schema string) {
	t.Helper()
	url = testenv.Require(t, "DATABASE_URL")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var raw [6]byte
	_, _ = rand.Read(raw[:])
	schema = "test_" + hex.EncodeToString(raw[:])
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to test database: %v", err)
	}
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close(ctx)
		t.Fatalf("create schema %s: %v", schema, err)
	}
	admin.Close(ctx)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, url); err == nil {
			_, _ = c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			c.Close(ctx)
		}
	})
	return url, schema
}
