package media

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/minio/minio-go/v7"
	tusd "github.com/tus/tusd/v2/pkg/handler"
)

// stagePartSize is the size of every part of a staged S3 upload but the
// last (S3 wants at least 5 MiB). One part at most is held in memory per
// upload being written; nothing is written to the server's disk.
const stagePartSize = 8 << 20

// stagePrefix is where staged uploads live in the bucket: uploads/<id> is
// the multipart upload (the object once complete), uploads/<id>.info the
// upload's metadata and uploads/<id>.part the tail of a PATCH cut short
// before a whole part arrived.
const stagePrefix = "uploads/"

// s3Staging stages resumable uploads as S3 multipart uploads in the media
// bucket: each PATCH's bytes are cut into parts in memory and sent
// straight to the bucket, so a large file never passes through the app
// server's disk. The offset of an upload is what the bucket holds (its
// parts and its tail), so another process, or this one restarted, resumes
// where the last left off.
type s3Staging struct {
	core   minio.Core
	bucket string
}

// newS3Staging stages uploads in st's bucket.
func newS3Staging(st *S3Store) *s3Staging {
	return &s3Staging{core: minio.Core{Client: st.client}, bucket: st.bucket}
}

// s3Info is the stored metadata of one staged upload.
type s3Info struct {
	Info        tusd.FileInfo `json:"info"`
	MultipartID string        `json:"multipart_id"`
}

// s3Upload is one staged upload.
type s3Upload struct {
	st *s3Staging
	s3Info
}

func (s *s3Staging) object(id string) string { return stagePrefix + id }

func (s *s3Staging) NewUpload(ctx context.Context, info tusd.FileInfo) (tusd.Upload, error) {
	if !validUploadID(info.ID) {
		return nil, fmt.Errorf("stage upload: bad id %q", info.ID)
	}
	mp, err := s.core.NewMultipartUpload(ctx, s.bucket, s.object(info.ID), minio.PutObjectOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return nil, fmt.Errorf("stage upload %s: %w", info.ID, err)
	}
	info.Storage = map[string]string{"Type": "s3", "Bucket": s.bucket, "Key": s.object(info.ID)}
	u := &s3Upload{st: s, s3Info: s3Info{Info: info, MultipartID: mp}}
	body, err := json.Marshal(u.s3Info)
	if err != nil {
		return nil, fmt.Errorf("stage upload %s: %w", info.ID, err)
	}
	if _, err := s.core.Client.PutObject(ctx, s.bucket, s.object(info.ID)+".info", bytes.NewReader(body), int64(len(body)),
		minio.PutObjectOptions{ContentType: "application/json"}); err != nil {
		_ = s.core.AbortMultipartUpload(context.WithoutCancel(ctx), s.bucket, s.object(info.ID), mp)
		return nil, fmt.Errorf("stage upload %s: %w", info.ID, err)
	}
	return u, nil
}

func (s *s3Staging) GetUpload(ctx context.Context, id string) (tusd.Upload, error) {
	if !validUploadID(id) {
		return nil, tusd.ErrNotFound
	}
	body, err := s.read(ctx, s.object(id)+".info")
	if errors.Is(err, ErrNoObject) {
		return nil, tusd.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	u := &s3Upload{st: s}
	if err := json.Unmarshal(body, &u.s3Info); err != nil {
		return nil, fmt.Errorf("staged upload %s: %w", id, err)
	}
	return u, nil
}

// read returns a small object whole (an .info or a .part).
func (s *s3Staging) read(ctx context.Context, key string) ([]byte, error) {
	obj, err := s.core.Client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, s3Err(err))
	}
	defer obj.Close()
	body, err := io.ReadAll(io.LimitReader(obj, stagePartSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, s3Err(err))
	}
	return body, nil
}

func (s *s3Staging) AsTerminatableUpload(u tusd.Upload) tusd.TerminatableUpload { return u.(*s3Upload) }

// parts lists the parts stored so far, in order. A multipart upload that
// is gone was completed (or aborted): complete reports which.
func (u *s3Upload) parts(ctx context.Context) (parts []minio.ObjectPart, complete bool, err error) {
	marker := 0
	for {
		res, err := u.st.core.ListObjectParts(ctx, u.st.bucket, u.st.object(u.Info.ID), u.MultipartID, marker, 1000)
		if err != nil {
			if minio.ToErrorResponse(err).Code == "NoSuchUpload" {
				return nil, true, nil
			}
			return nil, false, fmt.Errorf("list parts of upload %s: %w", u.Info.ID, err)
		}
		parts = append(parts, res.ObjectParts...)
		if !res.IsTruncated {
			slices.SortFunc(parts, func(a, b minio.ObjectPart) int { return a.PartNumber - b.PartNumber })
			return parts, false, nil
		}
		marker = res.NextPartNumberMarker
	}
}

// tail returns the bytes of a PATCH cut short before a whole part, if any.
func (u *s3Upload) tail(ctx context.Context) ([]byte, error) {
	b, err := u.st.read(ctx, u.st.object(u.Info.ID)+".part")
	if errors.Is(err, ErrNoObject) {
		return nil, nil
	}
	return b, err
}

// GetInfo reports the upload with its offset: what the bucket holds.
func (u *s3Upload) GetInfo(ctx context.Context) (tusd.FileInfo, error) {
	info := u.Info
	parts, complete, err := u.parts(ctx)
	if err != nil {
		return tusd.FileInfo{}, err
	}
	if complete {
		st, err := u.st.core.Client.StatObject(ctx, u.st.bucket, u.st.object(info.ID), minio.StatObjectOptions{})
		if err != nil {
			return tusd.FileInfo{}, fmt.Errorf("staged upload %s: %w", info.ID, s3Err(err))
		}
		info.Offset = st.Size
		return info, nil
	}
	for _, p := range parts {
		info.Offset += p.Size
	}
	tail, err := u.tail(ctx)
	if err != nil {
		return tusd.FileInfo{}, err
	}
	info.Offset += int64(len(tail))
	return info, nil
}

// WriteChunk cuts src into parts in memory and uploads each to the
// bucket; bytes short of a part are kept as the upload's tail object,
// unless they end the file (the last part may be small). It returns the
// bytes of src now stored.
func (u *s3Upload) WriteChunk(ctx context.Context, offset int64, src io.Reader) (int64, error) {
	parts, _, err := u.parts(ctx)
	if err != nil {
		return 0, err
	}
	next := len(parts) + 1
	tail, err := u.tail(ctx)
	if err != nil {
		return 0, err
	}
	buf := bytes.NewBuffer(make([]byte, 0, stagePartSize))
	buf.Write(tail)
	oldTail := len(tail)
	var read int64
	for {
		n, rerr := io.CopyN(buf, src, int64(stagePartSize-buf.Len()))
		read += n
		if buf.Len() == stagePartSize {
			if err := u.putPart(ctx, next, buf.Bytes()); err != nil {
				return 0, err
			}
			next++
			buf.Reset()
			oldTail = 0 // the old tail went into this part
		}
		if rerr != nil {
			if !errors.Is(rerr, io.EOF) {
				return 0, fmt.Errorf("read upload %s: %w", u.Info.ID, rerr)
			}
			break
		}
	}
	tailKey := u.st.object(u.Info.ID) + ".part"
	switch {
	case buf.Len() > 0 && offset+read == u.Info.Size:
		if err := u.putPart(ctx, next, buf.Bytes()); err != nil {
			return 0, err
		}
		if err := u.st.core.Client.RemoveObject(ctx, u.st.bucket, tailKey, minio.RemoveObjectOptions{}); err != nil {
			return 0, fmt.Errorf("drop tail of upload %s: %w", u.Info.ID, err)
		}
	case buf.Len() > oldTail:
		if _, err := u.st.core.Client.PutObject(ctx, u.st.bucket, tailKey, bytes.NewReader(buf.Bytes()), int64(buf.Len()),
			minio.PutObjectOptions{ContentType: "application/octet-stream"}); err != nil {
			return 0, fmt.Errorf("keep tail of upload %s: %w", u.Info.ID, err)
		}
	case buf.Len() == 0 && len(tail) > 0:
		if err := u.st.core.Client.RemoveObject(ctx, u.st.bucket, tailKey, minio.RemoveObjectOptions{}); err != nil {
			return 0, fmt.Errorf("drop tail of upload %s: %w", u.Info.ID, err)
		}
	}
	return read, nil
}

// putPart uploads one part from memory.
func (u *s3Upload) putPart(ctx context.Context, n int, b []byte) error {
	_, err := u.st.core.PutObjectPart(ctx, u.st.bucket, u.st.object(u.Info.ID), u.MultipartID, n,
		bytes.NewReader(b), int64(len(b)), minio.PutObjectPartOptions{DisableContentSha256: true})
	if err != nil {
		return fmt.Errorf("put part %d of upload %s: %w", n, u.Info.ID, err)
	}
	return nil
}

func (u *s3Upload) GetReader(ctx context.Context) (io.ReadCloser, error) {
	return u.st.open(ctx, u.Info.ID)
}

// FinishUpload completes the multipart upload into one object.
func (u *s3Upload) FinishUpload(ctx context.Context) error {
	parts, complete, err := u.parts(ctx)
	if err != nil || complete {
		return err
	}
	done := make([]minio.CompletePart, len(parts))
	for i, p := range parts {
		done[i] = minio.CompletePart{PartNumber: p.PartNumber, ETag: p.ETag}
	}
	if _, err := u.st.core.CompleteMultipartUpload(ctx, u.st.bucket, u.st.object(u.Info.ID), u.MultipartID, done,
		minio.PutObjectOptions{ContentType: "application/octet-stream"}); err != nil {
		return fmt.Errorf("complete upload %s: %w", u.Info.ID, err)
	}
	return nil
}

// Terminate removes everything of the upload from the bucket.
func (u *s3Upload) Terminate(ctx context.Context) error {
	return u.st.remove(ctx, u.Info.ID)
}

func (s *s3Staging) open(ctx context.Context, id string) (io.ReadSeekCloser, error) {
	obj, err := s.core.Client.GetObject(ctx, s.bucket, s.object(id), minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("open upload %s: %w", id, s3Err(err))
	}
	return obj, nil
}

// keepAs copies the finished object to key inside the bucket.
func (s *s3Staging) keepAs(ctx context.Context, id, key string, _ io.ReadSeeker) error {
	if !ValidKey(key) {
		return fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	_, err := s.core.Client.CopyObject(ctx, minio.CopyDestOptions{Bucket: s.bucket, Object: key},
		minio.CopySrcOptions{Bucket: s.bucket, Object: s.object(id)})
	if err != nil {
		return fmt.Errorf("keep upload %s as %s: %w", id, key, err)
	}
	return nil
}

func (s *s3Staging) list(ctx context.Context) ([]stagedUpload, error) {
	var out []stagedUpload
	for o := range s.core.Client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: stagePrefix, Recursive: true}) {
		if o.Err != nil {
			return nil, fmt.Errorf("list uploads: %w", o.Err)
		}
		id, ok := strings.CutSuffix(strings.TrimPrefix(o.Key, stagePrefix), ".info")
		if ok && validUploadID(id) {
			out = append(out, stagedUpload{ID: id, Created: o.LastModified})
		}
	}
	return out, nil
}

// remove aborts the multipart upload and deletes the upload's objects.
func (s *s3Staging) remove(ctx context.Context, id string) error {
	var errs []error
	if body, err := s.read(ctx, s.object(id)+".info"); err == nil {
		var si s3Info
		if json.Unmarshal(body, &si) == nil && si.MultipartID != "" {
			err := s.core.AbortMultipartUpload(ctx, s.bucket, s.object(id), si.MultipartID)
			if err != nil && minio.ToErrorResponse(err).Code != "NoSuchUpload" {
				errs = append(errs, fmt.Errorf("abort upload %s: %w", id, err))
			}
		}
	}
	for _, key := range []string{s.object(id), s.object(id) + ".part", s.object(id) + ".info"} {
		if err := s.core.Client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil &&
			!errors.Is(s3Err(err), ErrNoObject) {
			errs = append(errs, fmt.Errorf("remove %s: %w", key, err))
		}
	}
	return errors.Join(errs...)
}
