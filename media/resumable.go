package media

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"

	tusd "github.com/tus/tusd/v2/pkg/handler"
	"github.com/tus/tusd/v2/pkg/memorylocker"
	xslog "golang.org/x/exp/slog"

	"github.com/bidcast/bidcast/internal/apierr"
	"github.com/bidcast/bidcast/internal/ids"
	"github.com/bidcast/bidcast/storage"
)

// This file serves resumable uploads with the tus protocol (v1.0, through
// github.com/tus/tusd/v2). The JSON API owns the routes and their
// authentication, rate limits and CSRF protection; it hands each request
// here with the caller (CreateUpload, ServeUpload). An upload is created
// for an item the caller owns, within the seller's quota and the size
// caps; its first bytes are sniffed as they arrive, so a file of the wrong
// type stops at once; and when the last byte is in, the whole file passes
// the same checks as a plain upload (keep) before it enters the media
// worker. A refused upload is removed with everything it had sent.

// Metadata keys the server sets on every upload (clients' own are
// dropped, but for the file name, which only goes to the log).
const (
	metaItem     = "item_id"
	metaUser     = "user_id"
	metaAdmin    = "admin"
	metaFilename = "filename"
)

// MediaIDHeader names the media entry a finished upload became, on the
// answer to the request that finished it.
const MediaIDHeader = "Media-Id"

// caller is who makes a resumable-upload request, as the API
// authenticated them.
type caller struct {
	UserID string
	Admin  bool
}

// callerKey carries the caller through tusd to the hooks.
type callerKey struct{}

// resumable is the tus side of the service.
type resumable struct {
	h       *tusd.UnroutedHandler
	staging staging
	locker  tusd.Locker
	create  http.Handler
	head    http.Handler
	patch   http.Handler
	del     http.Handler
	expired atomic.Uint64
	refused atomic.Uint64
}

// UploadStats counts resumable uploads since the process started.
type UploadStats struct {
	// BytesReceived is every byte of upload bodies stored, including
	// those of requests cut short (what resuming costs shows here).
	BytesReceived uint64
	// Created, Finished, Refused and Expired count uploads.
	Created, Finished, Refused, Expired uint64
}

// newResumable builds the tus handler over a staging area.
func (s *Service) newResumable(st staging) (*resumable, error) {
	r := &resumable{staging: st, locker: memorylocker.New()}
	if s.rdb != nil {
		r.locker = &redisLocker{rdb: s.rdb}
	}
	composer := tusd.NewStoreComposer()
	checked := checkedStaging{staging: st, s: s}
	composer.UseCore(checked)
	composer.UseTerminater(checked)
	composer.UseLocker(r.locker)
	h, err := tusd.NewUnroutedHandler(tusd.Config{
		StoreComposer:             composer,
		BasePath:                  s.cfg.UploadBasePath,
		DisableDownload:           true,
		DisableConcatenation:      true,
		Cors:                      &tusd.CorsConfig{Disable: true},
		Logger:                    xslog.New(xslog.NewTextHandler(io.Discard, nil)),
		PreUploadCreateCallback:   s.preCreate,
		PreFinishResponseCallback: s.preFinish,
	})
	if err != nil {
		return nil, fmt.Errorf("resumable uploads: %w", err)
	}
	r.h = h
	r.create = h.Middleware(http.HandlerFunc(h.PostFile))
	r.head = h.Middleware(http.HandlerFunc(h.HeadFile))
	r.patch = h.Middleware(http.HandlerFunc(h.PatchFile))
	r.del = h.Middleware(http.HandlerFunc(h.DelFile))
	return r, nil
}

// UploadStats reports the resumable-upload counters.
func (s *Service) UploadStats() UploadStats {
	m := s.tus.h.Metrics
	return UploadStats{BytesReceived: atomic.LoadUint64(m.BytesReceived), Created: atomic.LoadUint64(m.UploadsCreated),
		Finished: atomic.LoadUint64(m.UploadsFinished), Refused: s.tus.refused.Load(), Expired: s.tus.expired.Load()}
}

// CreateUpload serves the tus creation request (POST) of an upload to an
// item; the API has authenticated the caller. Another's item answers
// not_found, as a missing one. The answer's Location is the upload's URL.
func (s *Service) CreateUpload(w http.ResponseWriter, r *http.Request, userID string, admin bool, itemID string) error {
	c := caller{UserID: userID, Admin: admin}
	item, err := s.ownedItem(r.Context(), c.UserID, c.Admin, itemID)
	if err != nil {
		return err
	}
	ctx := context.WithValue(r.Context(), callerKey{}, c)
	ctx = context.WithValue(ctx, itemKey{}, item)
	s.tus.create.ServeHTTP(w, r.WithContext(ctx))
	return nil
}

// itemKey carries the checked item from CreateUpload to preCreate.
type itemKey struct{}

// ServeUpload serves HEAD (the offset to resume from), PATCH (more bytes)
// and DELETE (cancel) of an upload; only the user who created it, or an
// admin, may reach it: others get not_found, as for a missing one. An
// upload whose bytes are all in but that was never finished (the server
// stopped in between) is finished now.
func (s *Service) ServeUpload(w http.ResponseWriter, r *http.Request, userID string, admin bool, uploadID string) error {
	c := caller{UserID: userID, Admin: admin}
	if !validUploadID(uploadID) {
		return newError(CodeNotFound, "no such upload")
	}
	up, err := s.tus.staging.GetUpload(r.Context(), uploadID)
	if errors.Is(err, tusd.ErrNotFound) {
		return newError(CodeNotFound, "no such upload")
	}
	if err != nil {
		return fmt.Errorf("upload %s: %w", uploadID, err)
	}
	info, err := up.GetInfo(r.Context())
	if err != nil {
		return fmt.Errorf("upload %s: %w", uploadID, err)
	}
	if info.MetaData[metaUser] != c.UserID && !c.Admin {
		return newError(CodeNotFound, "no such upload")
	}
	// tusd reads the upload's ID from a path stripped of its base.
	r = r.WithContext(context.WithValue(r.Context(), callerKey{}, c))
	u := *r.URL
	u.Path, u.RawPath = "/"+uploadID, ""
	r.URL = &u
	switch r.Method {
	case http.MethodDelete:
		s.tus.del.ServeHTTP(w, r)
	case http.MethodHead, http.MethodPatch:
		if !info.SizeIsDeferred && info.Offset == info.Size {
			return s.finishLeftover(w, r, uploadID)
		}
		if r.Method == http.MethodHead {
			s.tus.head.ServeHTTP(w, r)
		} else {
			s.tus.patch.ServeHTTP(w, r)
		}
	default:
		return apierr.New(http.StatusMethodNotAllowed, "method_not_allowed", "use HEAD, PATCH or DELETE")
	}
	return nil
}

// finishLeftover finishes an upload whose bytes were all stored but that
// was not finished, under the upload's lock, and answers as tus would.
func (s *Service) finishLeftover(w http.ResponseWriter, r *http.Request, id string) error {
	lock, err := s.tus.locker.NewLock(id)
	if err != nil {
		return fmt.Errorf("lock upload %s: %w", id, err)
	}
	if err := lock.Lock(r.Context(), func() {}); err != nil {
		return fmt.Errorf("lock upload %s: %w", id, err)
	}
	defer func() { _ = lock.Unlock() }()
	up, err := s.tus.staging.GetUpload(r.Context(), id)
	if errors.Is(err, tusd.ErrNotFound) {
		return newError(CodeNotFound, "no such upload")
	}
	if err != nil {
		return fmt.Errorf("upload %s: %w", id, err)
	}
	info, err := up.GetInfo(r.Context())
	if err != nil {
		return fmt.Errorf("upload %s: %w", id, err)
	}
	if err := up.FinishUpload(r.Context()); err != nil {
		return fmt.Errorf("upload %s: %w", id, err)
	}
	ref, err := s.finishStaged(r.Context(), info)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Tus-Resumable", "1.0.0")
	h.Set("Upload-Offset", strconv.FormatInt(info.Size, 10))
	h.Set("Upload-Length", strconv.FormatInt(info.Size, 10))
	h.Set("Cache-Control", "no-store")
	h.Set(MediaIDHeader, ref.ID)
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
	} else {
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// preCreate decides whether an upload may be created: a declared length
// (no deferred length) within the largest cap, and room in the seller's
// quota for one more file of that size. It replaces the client's metadata
// by the server's own and names the upload.
func (s *Service) preCreate(hook tusd.HookEvent) (tusd.HTTPResponse, tusd.FileInfoChanges, error) {
	c, _ := hook.Context.Value(callerKey{}).(caller)
	item, ok := hook.Context.Value(itemKey{}).(storage.Item)
	if !ok {
		return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, errors.New("resumable upload without an item")
	}
	info := hook.Upload
	if info.SizeIsDeferred {
		return refuse(newError("length_required", "send Upload-Length: the size of the file"))
	}
	if info.Size <= 0 {
		return refuse(newError(CodeUnsupportedType, "an empty file is not accepted"))
	}
	if largest := max(s.cfg.MaxImageBytes, s.cfg.MaxVideoBytes); info.Size > largest {
		return refuse(newError(CodeTooLarge, fmt.Sprintf("files may be at most %d MB", largest>>20)))
	}
	if err := s.quotaFits(hook.Context, item.SellerID, info.Size); err != nil {
		return refuse(err)
	}
	name := info.MetaData[metaFilename]
	if len(name) > 255 {
		name = name[:255]
	}
	admin := "0"
	if c.Admin {
		admin = "1"
	}
	return tusd.HTTPResponse{}, tusd.FileInfoChanges{ID: ids.New(), MetaData: tusd.MetaData{
		metaItem: item.ID, metaUser: c.UserID, metaAdmin: admin, metaFilename: name}}, nil
}

// refuse turns a rejection at creation into tusd's terms.
func refuse(err error) (tusd.HTTPResponse, tusd.FileInfoChanges, error) {
	return tusd.HTTPResponse{}, tusd.FileInfoChanges{}, tusError(err)
}

// quotaFits refuses (quota_exceeded) an upload of size bytes that the
// seller's quota has no room for; the binding check is the insert's.
func (s *Service) quotaFits(ctx context.Context, sellerID string, size int64) error {
	files, used, err := s.rows.MediaUsage(ctx, sellerID)
	if err != nil {
		return fmt.Errorf("media usage of %s: %w", sellerID, err)
	}
	if files >= s.cfg.QuotaFiles {
		return s.quotaError(storage.ErrMediaFiles)
	}
	if size > s.cfg.QuotaBytes-used {
		return s.quotaError(storage.ErrMediaBytes)
	}
	return nil
}

// preFinish runs once the last byte of an upload is stored: the whole
// file passes the checks and becomes a media entry, or is refused and
// removed.
func (s *Service) preFinish(hook tusd.HookEvent) (tusd.HTTPResponse, error) {
	ref, err := s.finishStaged(hook.Context, hook.Upload)
	if err != nil {
		return tusd.HTTPResponse{}, tusError(err)
	}
	return tusd.HTTPResponse{Header: tusd.HTTPHeader{MediaIDHeader: ref.ID}}, nil
}

// finishStaged checks a staged upload whose bytes are all in as a plain
// upload is checked (owner, type from the bytes, caps, quota, image
// header or container walk), keeps it as the original of a new media
// entry and queues its processing. Whatever the outcome, the staged
// upload is removed.
func (s *Service) finishStaged(ctx context.Context, info tusd.FileInfo) (storage.MediaRef, error) {
	defer func() {
		if err := s.tus.staging.remove(context.WithoutCancel(ctx), info.ID); err != nil {
			s.log.Warn("staged upload not removed", "upload", info.ID, "err", err)
		}
	}()
	ref, err := s.checkStaged(ctx, info)
	if err != nil {
		s.tus.refused.Add(1)
		s.log.Info("resumable upload refused", "upload", info.ID, "item", info.MetaData[metaItem], "err", err)
	}
	return ref, err
}

// checkStaged is finishStaged but for the removal.
func (s *Service) checkStaged(ctx context.Context, info tusd.FileInfo) (storage.MediaRef, error) {
	item, err := s.ownedItem(ctx, info.MetaData[metaUser], info.MetaData[metaAdmin] == "1", info.MetaData[metaItem])
	if err != nil {
		return storage.MediaRef{}, err
	}
	src, err := s.tus.staging.open(ctx, info.ID)
	if err != nil {
		return storage.MediaRef{}, err
	}
	defer src.Close()
	head := make([]byte, min(SniffLen, info.Size))
	if _, err := io.ReadFull(src, head); err != nil {
		return storage.MediaRef{}, fmt.Errorf("read upload %s: %w", info.ID, err)
	}
	contentType, kind, err := Sniff(head)
	if err != nil {
		return storage.MediaRef{}, err
	}
	if err := s.sizeFits(kind, info.Size); err != nil {
		return storage.MediaRef{}, err
	}
	if err := s.quotaFits(ctx, item.SellerID, info.Size); err != nil {
		return storage.MediaRef{}, err
	}
	return s.keep(ctx, item, info.MetaData[metaFilename], kind, contentType, src, info.Size,
		func(ctx context.Context, key string) error { return s.tus.staging.keepAs(ctx, info.ID, key, src) })
}

// sizeFits refuses (too_large) a file over the cap of its kind.
func (s *Service) sizeFits(kind string, size int64) error {
	limit := s.cfg.MaxImageBytes
	if kind == KindVideo {
		limit = s.cfg.MaxVideoBytes
	}
	if size > limit {
		return tooLarge(kind, limit)
	}
	return nil
}

// tusError gives a coded rejection the API's JSON shape inside tusd's
// error type, so tus requests answer like every other API request; other
// errors stay internal (tusd answers 500 and logs nothing for clients).
func tusError(err error) error {
	e, ok := apierr.As(err)
	if !ok {
		var te tusd.Error
		if errors.As(err, &te) {
			return te
		}
		return err
	}
	body, _ := json.Marshal(struct {
		Error *Error `json:"error"`
	}{e})
	return tusd.Error{ErrorCode: e.Code, Message: e.Message, HTTPResponse: tusd.HTTPResponse{
		StatusCode: e.Status, Body: string(body) + "\n",
		Header: tusd.HTTPHeader{"Content-Type": "application/json; charset=utf-8"}}}
}

// validUploadID reports whether id can name an upload: ours are UUIDs.
func validUploadID(id string) bool { return ids.Valid(id) }
