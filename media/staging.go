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

	"github.com/tus/tusd/v2/pkg/filestore"
	tusd "github.com/tus/tusd/v2/pkg/handler"
)

// staging is where a resumable upload's bytes wait until they are all in
// and have passed the checks: tusd's file store under Config.UploadDir on
// the local disk, or multipart uploads in the bucket (s3Staging) with the
// S3-compatible store, so large files never touch the app server's disk.
type staging interface {
	tusd.DataStore
	tusd.TerminaterDataStore
	// open returns the finished upload's bytes for checking.
	open(ctx context.Context, id string) (io.ReadSeekCloser, error)
	// keepAs makes the finished upload the object key of the media store
	// (src is what open returned, for stores that must copy it).
	keepAs(ctx context.Context, id, key string, src io.ReadSeeker) error
	// list names every upload held, with when it was created.
	list(ctx context.Context) ([]stagedUpload, error)
	// remove deletes an upload's parts, whatever their state.
	remove(ctx context.Context, id string) error
}

// stagedUpload is one upload held in staging.
type stagedUpload struct {
	ID      string
	Created time.Time
}

// diskStaging keeps uploads in a directory, through tusd's file store:
// <id> holds the bytes received so far, <id>.info the upload's metadata.
type diskStaging struct {
	filestore.FileStore
	dir   string
	store Store
}

// newDiskStaging returns a staging area in dir, creating it if needed.
func newDiskStaging(dir string, store Store) (*diskStaging, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("upload dir %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("create upload dir: %w", err)
	}
	fs := filestore.New(abs)
	fs.DirModePerm, fs.FileModePerm = 0o750, 0o640
	return &diskStaging{FileStore: fs, dir: abs, store: store}, nil
}

// path is the file of an upload's bytes; ids are checked by the caller.
func (d *diskStaging) path(id string) string { return filepath.Join(d.dir, id) }

func (d *diskStaging) open(_ context.Context, id string) (io.ReadSeekCloser, error) {
	f, err := os.Open(d.path(id))
	if err != nil {
		return nil, fmt.Errorf("open upload %s: %w", id, err)
	}
	return f, nil
}

// keepAs renames the file into a disk store on the same file system, and
// copies it through Store.Put otherwise.
func (d *diskStaging) keepAs(ctx context.Context, id, key string, src io.ReadSeeker) error {
	if ds, ok := d.store.(*DiskStore); ok {
		if err := ds.moveIn(key, d.path(id)); err == nil {
			return nil
		}
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind upload %s: %w", id, err)
	}
	return d.store.Put(ctx, key, src)
}

func (d *diskStaging) list(_ context.Context) ([]stagedUpload, error) {
	entries, err := os.ReadDir(d.dir)
	if err != nil {
		return nil, fmt.Errorf("list uploads: %w", err)
	}
	var out []stagedUpload
	for _, e := range entries {
		name := e.Name()
		id := strings.TrimSuffix(name, ".info")
		if e.IsDir() || !validUploadID(id) {
			continue
		}
		if name == id { // a bytes file: listed only when its .info is gone
			if _, err := os.Stat(d.path(id) + ".info"); err == nil {
				continue
			}
		}
		st, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, stagedUpload{ID: id, Created: st.ModTime()})
	}
	return out, nil
}

func (d *diskStaging) remove(_ context.Context, id string) error {
	var errs []error
	for _, p := range []string{d.path(id), d.path(id) + ".info"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// moveIn renames the file at path to key, so a finished upload on the
// same file system is kept without copying it.
func (s *DiskStore) moveIn(key, path string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return fmt.Errorf("move in %s: %w", key, err)
	}
	if err := os.Rename(path, p); err != nil {
		return fmt.Errorf("move in %s: %w", key, err)
	}
	return nil
}
