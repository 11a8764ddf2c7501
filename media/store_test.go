package media

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidKey(t *testing.T) {
	tests := map[string]bool{
		"items/abc/def/original":                 true,
		"items/a-b_c/w320.jpg":                   true,
		"":                                       false,
		"/etc/passwd":                            false,
		"items/../../etc/passwd":                 false,
		"items/./x":                              false,
		"items//x":                               false,
		"items/x/":                               false,
		`items\..\x`:                             false,
		"items/x\x00.jpg":                        false,
		"items/%2e%2e/x":                         false,
		"items/ü.jpg":                            false,
		strings.Repeat("a", 513):                 false,
		"items/0123456789abcdef0123456789abcdef": true,
		"..":                                     false,
		"items/x y.jpg":                          false,
		"items/.hidden/..x/a.jpg":                true, // dots inside a segment are harmless
	}
	for key, want := range tests {
		if got := ValidKey(key); got != want {
			t.Errorf("ValidKey(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestDiskStore(t *testing.T) {
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "root")
	s, err := NewDiskStore(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "items/a/m1/w320.jpg", strings.NewReader("hello")); err != nil {
		t.Fatal(err)
	}
	f, info, err := s.Open(ctx, "items/a/m1/w320.jpg")
	if err != nil || info.Size != 5 {
		t.Fatalf("Open: %v %v", info, err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "hello" {
		t.Fatalf("read %q", b)
	}
	for _, key := range []string{"../outside", "items/../../outside", "/abs"} {
		if err := s.Put(ctx, key, strings.NewReader("x")); !errors.Is(err, ErrBadKey) {
			t.Errorf("Put(%q) = %v, want ErrBadKey", key, err)
		}
		if _, _, err := s.Open(ctx, key); !errors.Is(err, ErrBadKey) {
			t.Errorf("Open(%q) = %v, want ErrBadKey", key, err)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(root), "outside")); !os.IsNotExist(err) {
		t.Fatal("a file was written outside the root")
	}
	if _, _, err := s.Open(ctx, "items/a/m1/missing.jpg"); !errors.Is(err, ErrNoObject) {
		t.Fatalf("missing: %v", err)
	}
	if _, _, err := s.Open(ctx, "items/a/m1"); !errors.Is(err, ErrNoObject) {
		t.Fatalf("directory opened: %v", err)
	}
	// A failed Put leaves nothing behind.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Put(cctx, "items/a/m2/x.jpg", strings.NewReader("data")); err == nil {
		t.Fatal("Put with a cancelled context succeeded")
	}
	if _, _, err := s.Open(ctx, "items/a/m2/x.jpg"); !errors.Is(err, ErrNoObject) {
		t.Fatalf("half-written object: %v", err)
	}
	for _, bad := range []string{"items/a", "../", "/", ""} {
		if err := s.Delete(ctx, bad); !errors.Is(err, ErrBadKey) {
			t.Errorf("Delete(%q) = %v, want ErrBadKey", bad, err)
		}
	}
	if err := s.Delete(ctx, "items/a/"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Open(ctx, "items/a/m1/w320.jpg"); !errors.Is(err, ErrNoObject) {
		t.Fatalf("after Delete: %v", err)
	}
	if err := s.Delete(ctx, "items/nothing/"); err != nil {
		t.Fatalf("Delete of a missing prefix: %v", err)
	}
	var entries []string
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, _ error) error {
		if !d.IsDir() {
			entries = append(entries, p)
		}
		return nil
	})
	if len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
}
