package media

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/minio/minio-go/v7"
	tusd "github.com/tus/tusd/v2/pkg/handler"
)

// syntheticMP4 is an MP4 whose top level is sound (ftyp, moov, mdat) with
// size bytes in all: it passes the upload checks (processing would fail).
func syntheticMP4(size int) []byte {
	head := append(box("ftyp", []byte("isom\x00\x00\x02\x00isommp41")), box("moov", make([]byte, 64))...)
	payload := make([]byte, size-len(head)-8)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range payload {
		payload[i] = byte(r.Uint32())
	}
	return append(head, box("mdat", payload)...)
}

// cutReader yields its bytes, then fails: a connection dropped mid-body.
type cutReader struct{ r io.Reader }

func (c cutReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if errors.Is(err, io.EOF) {
		return n, errors.New("connection dropped")
	}
	return n, err
}

// TestResumableS3NeverTouchesDisk sends a 20 MB video to the S3 staging
// (the in-process gofakes3 server), with the connection dropped part way
// through a request and the upload resumed: the parts go to the bucket,
// the original is copied inside it, and nothing is written under the
// server's upload, temporary or media directories, nor the process's
// temporary directory.
func TestResumableS3NeverTouchesDisk(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	s3cfg := fakeS3(t)
	root := t.TempDir()
	e := newEnv(t, func(c *Config) {
		c.S3 = s3cfg
		c.Dir, c.TempDir, c.UploadDir = filepath.Join(root, "store"), filepath.Join(root, "tmp"), filepath.Join(root, "uploads")
	})
	srv := e.tusServer(e.svc)
	data := syntheticMP4(20 << 20)
	c := tusCreate(t, srv, e.seller, e.item, len(data))
	if c.Status != http.StatusCreated {
		t.Fatalf("create: %+v", c)
	}
	// A request cut after 11 MB: the client's connection drops.
	cut := 11<<20 + 12345
	req, _ := http.NewRequest("PATCH", c.Location, cutReader{bytes.NewReader(data[:cut])})
	req.ContentLength = int64(len(data))
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", "0")
	req.Header.Set("X-Test-User", e.seller)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the cut request answered %d", resp.StatusCode)
	}
	h := tusDo(t, "HEAD", c.Location, e.seller, nil, nil)
	if h.Status != http.StatusOK || h.Offset <= 0 || h.Offset > int64(cut) {
		t.Fatalf("head after the cut: %+v (cut at %d)", h, cut)
	}
	a := tusPatch(t, c.Location, e.seller, int(h.Offset), data[h.Offset:])
	if a.Status != http.StatusNoContent || a.MediaID == "" {
		t.Fatalf("rest: %+v", a)
	}
	ctx := context.Background()
	ref, err := e.svc.rows.Get(ctx, a.MediaID)
	if err != nil || ref.Kind != KindVideo || ref.SizeBytes != int64(len(data)) {
		t.Fatalf("row %+v (%v)", ref, err)
	}
	rc, info, err := e.svc.store.Open(ctx, ref.StorageKey)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if info.Size != int64(len(data)) || !bytes.Equal(got, data) {
		t.Fatalf("stored %d bytes, not the file", len(got))
	}
	st := e.svc.store.(*S3Store)
	for o := range st.client.ListObjects(ctx, st.bucket, minio.ListObjectsOptions{Prefix: stagePrefix, Recursive: true}) {
		t.Errorf("staged object left: %s", o.Key)
	}
	for _, dir := range []string{root, tmp} {
		if left := files(t, dir); len(left) != 0 {
			t.Fatalf("files written under %s: %v", dir, left)
		}
	}
	if got := e.svc.UploadStats().BytesReceived; got > uint64(len(data))*13/10 {
		t.Fatalf("%d bytes received for a file of %d", got, len(data))
	}
	t.Logf("bytes received %s for %d", strconv.FormatUint(e.svc.UploadStats().BytesReceived, 10), len(data))
}

// TestS3StagingParts writes an upload in requests that end between part
// boundaries: whole parts go to the multipart upload, the bytes short of
// a part wait as the tail object, the offset counts both, and the
// completed object is the file.
func TestS3StagingParts(t *testing.T) {
	st, err := NewS3Store(context.Background(), fakeS3(t))
	if err != nil {
		t.Fatal(err)
	}
	s := newS3Staging(st)
	ctx := context.Background()
	data := syntheticMP4(20 << 20)
	id := "00000000-0000-4000-8000-000000000001"
	if _, err := s.NewUpload(ctx, tusd.FileInfo{ID: id, Size: int64(len(data))}); err != nil {
		t.Fatal(err)
	}
	for _, end := range []int{1000, 11<<20 + 12345, 16 << 20, 16<<20 + 1, len(data)} {
		u, err := s.GetUpload(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		info, err := u.GetInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n, err := u.WriteChunk(ctx, info.Offset, bytes.NewReader(data[info.Offset:end]))
		if err != nil || info.Offset+n != int64(end) {
			t.Fatalf("write from %d to %d: %d, %v", info.Offset, end, n, err)
		}
		if info, _ = u.GetInfo(ctx); info.Offset != int64(end) {
			t.Fatalf("offset %d after writing to %d", info.Offset, end)
		}
	}
	u, _ := s.GetUpload(ctx, id)
	if err := u.FinishUpload(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := s.open(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("completed object: %d bytes (%v), want the file's %d", len(got), err, len(data))
	}
	if err := s.remove(ctx, id); err != nil {
		t.Fatal(err)
	}
	if held, err := s.list(ctx); err != nil || len(held) != 0 {
		t.Fatalf("after remove: %v %v", held, err)
	}
}
