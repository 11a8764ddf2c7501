package media

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config says how to reach an S3-compatible store (AWS S3, MinIO, …).
// It is used instead of the local disk when Endpoint is set.
type S3Config struct {
	// Endpoint is host[:port] of the service (MEDIA_S3_ENDPOINT); a
	// leading http:// or https:// is accepted and decides UseSSL.
	Endpoint string
	// Bucket must already exist (MEDIA_S3_BUCKET).
	Bucket string
	// AccessKey and SecretKey are static credentials
	// (MEDIA_S3_ACCESS_KEY, MEDIA_S3_SECRET_KEY).
	AccessKey, SecretKey string
	// UseSSL selects HTTPS (MEDIA_S3_USE_SSL, default true).
	UseSSL bool
	// Region is the bucket's region (MEDIA_S3_REGION); empty lets the
	// client ask the service.
	Region string
	// Transport overrides the HTTP transport (tests); nil is the default.
	Transport http.RoundTripper
}

// s3PartSize is the part size of multipart uploads of unknown length.
const s3PartSize = 16 << 20

// S3Store is a Store in one bucket of an S3-compatible service, through
// minio-go. Keys are used as object names unchanged.
type S3Store struct {
	client *minio.Client
	bucket string
}

// NewS3Store connects to the service and checks that the bucket exists,
// so a misconfiguration fails at start rather than on the first upload.
func NewS3Store(ctx context.Context, cfg S3Config) (*S3Store, error) {
	endpoint, secure := cfg.Endpoint, cfg.UseSSL
	if strings.Contains(endpoint, "://") {
		u, err := url.Parse(endpoint)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("media S3 store: MEDIA_S3_ENDPOINT=%q: want host[:port] or an http(s) URL", cfg.Endpoint)
		}
		endpoint, secure = u.Host, u.Scheme == "https"
	}
	var missing []string
	for _, v := range []struct{ name, val string }{
		{"MEDIA_S3_ENDPOINT", endpoint}, {"MEDIA_S3_BUCKET", cfg.Bucket},
		{"MEDIA_S3_ACCESS_KEY", cfg.AccessKey}, {"MEDIA_S3_SECRET_KEY", cfg.SecretKey},
	} {
		if v.val == "" {
			missing = append(missing, v.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("media S3 store: %s must be set", strings.Join(missing, ", "))
	}
	client, err := minio.New(endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:    secure,
		Region:    cfg.Region,
		Transport: cfg.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("media S3 store %s: %w", endpoint, err)
	}
	ok, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("media S3 store: check bucket %q at %s: %w", cfg.Bucket, endpoint, err)
	}
	if !ok {
		return nil, fmt.Errorf("media S3 store: bucket %q does not exist at %s; create it first", cfg.Bucket, endpoint)
	}
	return &S3Store{client: client, bucket: cfg.Bucket}, nil
}

// Bucket returns the bucket the store writes to.
func (s *S3Store) Bucket() string { return s.bucket }

// Put uploads r under key; a reader of unknown length is spooled to a
// temporary file first. A single PUT (or a multipart upload, which
// the client aborts on failure) only becomes visible once complete, so
// readers never see a half-written object.
func (s *S3Store) Put(ctx context.Context, key string, r io.Reader) error {
	if !ValidKey(key) {
		return fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	size := int64(-1)
	if l, ok := r.(interface{ Len() int }); ok { // bytes.Reader, strings.Reader
		size = int64(l.Len())
	} else if f, ok := r.(interface{ Stat() (os.FileInfo, error) }); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			if sk, ok := r.(io.Seeker); ok {
				if pos, err := sk.Seek(0, io.SeekCurrent); err == nil {
					size = st.Size() - pos
				}
			}
		}
	}
	if size < 0 {
		// Spool to a temporary file so the upload has a length: some
		// S3-compatible servers mishandle chunked uploads of unknown size.
		tmp, err := os.CreateTemp("", "media-s3-*")
		if err != nil {
			return fmt.Errorf("put %s: spool: %w", key, err)
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		n, err := io.Copy(tmp, ctxReader{ctx, r})
		if err != nil {
			return fmt.Errorf("put %s: spool: %w", key, err)
		}
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("put %s: spool: %w", key, err)
		}
		r, size = tmp, n
	}
	_, err := s.client.PutObject(ctx, s.bucket, key, ctxReader{ctx, r}, size, minio.PutObjectOptions{
		ContentType: "application/octet-stream",
		PartSize:    s3PartSize,
	})
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// Open returns a seekable reader of the object (each Seek followed by a
// Read becomes a ranged GET) with its size and mtime.
func (s *S3Store) Open(ctx context.Context, key string) (io.ReadSeekCloser, ObjectInfo, error) {
	if !ValidKey(key) {
		return nil, ObjectInfo{}, fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, ObjectInfo{}, fmt.Errorf("open %s: %w", key, s3Err(err))
	}
	st, err := obj.Stat()
	if err != nil {
		_ = obj.Close()
		return nil, ObjectInfo{}, fmt.Errorf("open %s: %w", key, s3Err(err))
	}
	return obj, ObjectInfo{Size: st.Size, ModTime: st.LastModified}, nil
}

// Delete removes every object whose name starts with prefix. Nothing
// matching is not an error.
func (s *S3Store) Delete(ctx context.Context, prefix string) error {
	if !strings.HasSuffix(prefix, "/") || !ValidKey(strings.TrimSuffix(prefix, "/")) {
		return fmt.Errorf("%w: prefix %q must be a valid key ending in /", ErrBadKey, prefix)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	listed := s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true})
	toRemove := make(chan minio.ObjectInfo)
	var listErr error
	listDone := make(chan struct{})
	go func() {
		defer close(listDone)
		defer close(toRemove)
		for o := range listed {
			if o.Err != nil {
				listErr = o.Err
				return
			}
			select {
			case toRemove <- o:
			case <-ctx.Done():
				return
			}
		}
	}()
	var firstErr error
	for e := range s.client.RemoveObjects(ctx, s.bucket, toRemove, minio.RemoveObjectsOptions{}) {
		if e.Err != nil && firstErr == nil {
			firstErr = fmt.Errorf("remove %s: %w", e.ObjectName, e.Err)
		}
	}
	cancel() // frees the lister if removal stopped early
	<-listDone
	if listErr != nil {
		return fmt.Errorf("delete %s: list: %w", prefix, listErr)
	}
	if firstErr != nil {
		return fmt.Errorf("delete %s: %w", prefix, firstErr)
	}
	return nil
}

// s3Err maps a missing object to ErrNoObject, keeping the cause.
func s3Err(err error) error {
	switch minio.ToErrorResponse(err).Code {
	case minio.NoSuchKey, "NotFound":
		return fmt.Errorf("%w (%w)", ErrNoObject, err)
	}
	return err
}
