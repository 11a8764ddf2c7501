package media

import (
	"bytes"
	"context"
	"errors"
	"io"

	tusd "github.com/tus/tusd/v2/pkg/handler"
)

// checkedStaging looks at the first bytes of every upload as they arrive:
// a file whose type is refused, or that is over the cap of its kind,
// stops there and is removed, instead of being sent whole first. The full
// checks run when the last byte is in (Service.finishStaged).
type checkedStaging struct {
	staging
	s *Service
}

// checkedUpload is an upload of a checkedStaging.
type checkedUpload struct {
	tusd.Upload
	c checkedStaging
}

func (c checkedStaging) NewUpload(ctx context.Context, info tusd.FileInfo) (tusd.Upload, error) {
	u, err := c.staging.NewUpload(ctx, info)
	if err != nil {
		return nil, err
	}
	return &checkedUpload{Upload: u, c: c}, nil
}

func (c checkedStaging) GetUpload(ctx context.Context, id string) (tusd.Upload, error) {
	u, err := c.staging.GetUpload(ctx, id)
	if err != nil {
		return nil, err
	}
	return &checkedUpload{Upload: u, c: c}, nil
}

func (c checkedStaging) AsTerminatableUpload(u tusd.Upload) tusd.TerminatableUpload {
	if cu, ok := u.(*checkedUpload); ok {
		u = cu.Upload
	}
	return c.staging.AsTerminatableUpload(u)
}

// WriteChunk sniffs the head of the file when a request starts at offset
// 0 and brings the whole head (SniffLen bytes, or the whole file if
// shorter); a refusal removes the upload and answers with its code.
func (u *checkedUpload) WriteChunk(ctx context.Context, offset int64, src io.Reader) (int64, error) {
	if offset != 0 {
		return u.Upload.WriteChunk(ctx, offset, src)
	}
	info, err := u.Upload.GetInfo(ctx)
	if err != nil {
		return 0, err
	}
	head := make([]byte, min(SniffLen, info.Size))
	n, err := io.ReadFull(src, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return 0, err
	}
	if n == len(head) {
		_, kind, err := Sniff(head)
		if err == nil {
			err = u.c.s.sizeFits(kind, info.Size)
		}
		if err != nil {
			u.c.s.tus.refused.Add(1)
			u.c.s.log.Info("resumable upload refused", "upload", info.ID, "item", info.MetaData[metaItem], "err", err)
			if rerr := u.c.staging.remove(context.WithoutCancel(ctx), info.ID); rerr != nil {
				u.c.s.log.Warn("refused upload not removed", "upload", info.ID, "err", rerr)
			}
			return 0, tusError(err)
		}
	}
	return u.Upload.WriteChunk(ctx, offset, io.MultiReader(bytes.NewReader(head[:n]), src))
}
