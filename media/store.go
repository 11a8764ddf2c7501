package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrBadKey is returned for a storage key that is empty, absolute, or
// would escape the store's root (".." segments, backslashes, NULs).
var ErrBadKey = errors.New("media: invalid storage key")

// ErrNoObject is returned by Store.Open when no object has the key.
var ErrNoObject = errors.New("media: no such object")

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	// Size is the object's length in bytes.
	Size int64
	// ModTime is when the object was last written.
	ModTime time.Time
}

// Store keeps media files under opaque keys such as
// "items/<item>/<media>/original". Keys are always made by this package,
// never from user input; implementations still refuse keys that could
// escape their namespace.
type Store interface {
	// Put writes the object under key, replacing any previous one. A
	// failed Put leaves no partial object behind.
	Put(ctx context.Context, key string, r io.Reader) error
	// Open returns the object for reading with its size and mtime, or an
	// error wrapping ErrNoObject.
	Open(ctx context.Context, key string) (io.ReadSeekCloser, ObjectInfo, error)
	// Delete removes every object whose key starts with prefix, which
	// must end in "/" (a whole directory of objects).
	Delete(ctx context.Context, prefix string) error
}

// ValidKey reports whether key is a relative, slash-separated path of
// segments made only of [A-Za-z0-9._-], none of them "." or "..".
func ValidKey(key string) bool {
	if key == "" || len(key) > 512 {
		return false
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		for _, c := range seg {
			switch {
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '_':
			default:
				return false
			}
		}
	}
	return true
}

// DiskStore is a Store on the local file system under Root.
type DiskStore struct {
	root string
}

// NewDiskStore returns a store rooted at dir, creating it if needed.
func NewDiskStore(dir string) (*DiskStore, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("media store root %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("create media store root: %w", err)
	}
	return &DiskStore{root: abs}, nil
}

// Root returns the absolute directory the store writes under.
func (s *DiskStore) Root() string { return s.root }

// path maps a key to a file path, refusing anything outside the root.
func (s *DiskStore) path(key string) (string, error) {
	if !ValidKey(key) {
		return "", fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	p := filepath.Join(s.root, filepath.FromSlash(key))
	if !strings.HasPrefix(p, s.root+string(filepath.Separator)) {
		return "", fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	return p, nil
}

// Put writes r to a temporary file next to the target and renames it into
// place, so readers never see a half-written object.
func (s *DiskStore) Put(ctx context.Context, key string, r io.Reader) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err := io.Copy(f, ctxReader{ctx, r}); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	ok = true
	return nil
}

// Open opens the object under key.
func (s *DiskStore) Open(_ context.Context, key string) (io.ReadSeekCloser, ObjectInfo, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ObjectInfo{}, fmt.Errorf("open %s: %w", key, ErrNoObject)
	}
	if err != nil {
		return nil, ObjectInfo{}, fmt.Errorf("open %s: %w", key, err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, ObjectInfo{}, fmt.Errorf("stat %s: %w", key, err)
	}
	if !st.Mode().IsRegular() {
		_ = f.Close()
		return nil, ObjectInfo{}, fmt.Errorf("open %s: %w", key, ErrNoObject)
	}
	return f, ObjectInfo{Size: st.Size(), ModTime: st.ModTime()}, nil
}

// Delete removes the directory named by prefix and all it holds. A
// missing directory is not an error.
func (s *DiskStore) Delete(_ context.Context, prefix string) error {
	if !strings.HasSuffix(prefix, "/") {
		return fmt.Errorf("%w: prefix %q must end in /", ErrBadKey, prefix)
	}
	p, err := s.path(strings.TrimSuffix(prefix, "/"))
	if err != nil {
		return err
	}
	if err := os.RemoveAll(p); err != nil {
		return fmt.Errorf("delete %s: %w", prefix, err)
	}
	return nil
}

// ctxReader stops a copy once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

// Read reads from the underlying reader unless the context is done.
func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
