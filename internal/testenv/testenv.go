// Package testenv finds the real Postgres and Redis that tests run against.
//
// `make services` writes .data/env at the top of the checkout; `make test`
// exports it. A plain `go test` run from an editor has no such variables, so
// Lookup falls back to reading that file. A test that needs a service and
// cannot find one fails with a message saying how to start it: integration
// tests never skip silently.
package testenv

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	fileOnce sync.Once
	fileVars map[string]string
)

// Lookup returns the value of an environment variable such as DATABASE_URL,
// from the process environment or else from .data/env.
func Lookup(name string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	fileOnce.Do(loadEnvFile)
	return fileVars[name]
}

// Require returns Lookup(name) or fails the test with instructions.
func Require(t testing.TB, name string) string {
	t.Helper()
	v := Lookup(name)
	if v == "" {
		t.Fatalf("%s is not set and .data/env was not found: run `make services` (or `make test`) first", name)
	}
	return v
}

// loadEnvFile reads KEY=VALUE lines from .data/env in the module root.
func loadEnvFile() {
	fileVars = map[string]string{}
	dir, err := os.Getwd()
	if err != nil {
		return
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return
		}
		dir = parent
	}
	f, err := os.Open(filepath.Join(dir, ".data", "env"))
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if ok && k != "" && !strings.HasPrefix(k, "#") {
			fileVars[k] = v
		}
	}
}
