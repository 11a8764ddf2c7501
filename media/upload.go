package media

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/internal/ids"
	"github.com/bidcast/bidcast/internal/namespace"
	"github.com/bidcast/bidcast/storage"
)

// Asynq names of media processing.
const (
	// Queue is the base name of the Asynq queue media tasks run on, which
	// WithNamespace qualifies.
	Queue = "media"
	// TaskProcess is the type of the task that processes one upload; its
	// TaskID is the media ID, so a file is never queued twice.
	TaskProcess = "media:process"
)

// Status values of item_media.status.
const (
	StatusProcessing = "processing"
	StatusReady      = "ready"
	StatusFailed     = "failed"
)

// Service accepts uploads for sellers' items, stores them, and processes
// them in the background (see RunWorker).
type Service struct {
	cfg    Config
	items  *storage.Items
	rows   *storage.Media
	store  Store
	rdb    redis.UniversalClient
	client *asynq.Client
	log    *slog.Logger
	// ns names the media queue for this deployment (WithNamespace).
	ns namespace.Namespace
	// tus serves resumable uploads (resumable.go).
	tus *resumable
}

// Option customises NewService.
type Option func(*Service)

// WithTaskClient makes the service enqueue processing tasks through c, the
// process's one Asynq client, which the caller owns and closes. Without
// it the service opens its own client on rdb.
func WithTaskClient(c *asynq.Client) Option {
	return func(s *Service) { s.client = c }
}

// WithNamespace puts the service's processing tasks on the media queue of
// deployment namespace ns (internal/namespace); without it the queue has
// the name of earlier releases. Its worker drains that name too.
func WithNamespace(ns namespace.Namespace) Option {
	return func(s *Service) { s.ns = ns }
}

// NewService returns a media service. The store is cfg.Store, else an
// S3-compatible store when cfg.S3.Endpoint is set (failing if the bucket
// or keys are missing or the bucket does not exist), else a local-disk
// store under cfg.Dir.
func NewService(cfg Config, db *storage.DB, rdb redis.UniversalClient, log *slog.Logger, opts ...Option) (*Service, error) {
	cfg = cfg.Defaults()
	st := cfg.Store
	if st == nil && cfg.S3.Endpoint != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		s3, err := NewS3Store(ctx, cfg.S3)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("media service: %w", err)
		}
		st = s3
	}
	if st == nil {
		ds, err := NewDiskStore(cfg.Dir)
		if err != nil {
			return nil, fmt.Errorf("media service: %w", err)
		}
		st = ds
	}
	if cfg.TempDir != "" {
		if err := os.MkdirAll(cfg.TempDir, 0o750); err != nil {
			return nil, fmt.Errorf("media temp dir: %w", err)
		}
	}
	var err error
	s := &Service{cfg: cfg, items: storage.NewItems(db), rows: storage.NewMedia(db), store: st, rdb: rdb, log: log}
	for _, o := range opts {
		o(s)
	}
	if s.client == nil {
		s.client = asynq.NewClientFromRedisClient(rdb)
	}
	var stage staging
	if s3, ok := st.(*S3Store); ok {
		stage = newS3Staging(s3)
	} else if stage, err = newDiskStaging(cfg.UploadDir, st); err != nil {
		return nil, fmt.Errorf("media service: %w", err)
	}
	if s.tus, err = s.newResumable(stage); err != nil {
		return nil, fmt.Errorf("media service: %w", err)
	}
	return s, nil
}

// Store returns the store files are kept in.
func (s *Service) Store() Store { return s.store }

// taskPayload is the body of a TaskProcess task.
type taskPayload struct {
	MediaID string `json:"media_id"`
}

// Upload checks that userID owns the item (or admin is set), streams r to
// a temporary file under the size cap for its kind, checks its type and
// dimensions from its bytes, stores it, records it with status processing
// and queues its processing. The filename is only logged: it decides
// nothing. Any rejection is an *Error and leaves no file and no row. The
// item's seller's quota (Config.QuotaFiles, QuotaBytes) must have room.
func (s *Service) Upload(ctx context.Context, userID string, admin bool, itemID, filename string, r io.Reader) (storage.MediaRef, error) {
	item, err := s.ownedItem(ctx, userID, admin, itemID)
	if err != nil {
		return storage.MediaRef{}, err
	}
	// A seller already at their quota is refused before a byte is read;
	// otherwise the stream stops as soon as it outgrows what is left. The
	// binding check is the insert's, under the seller's lock.
	files, used, err := s.rows.MediaUsage(ctx, item.SellerID)
	if err != nil {
		return storage.MediaRef{}, fmt.Errorf("upload to item %s: %w", item.ID, err)
	}
	if files >= s.cfg.QuotaFiles {
		return storage.MediaRef{}, s.quotaError(storage.ErrMediaFiles)
	}
	room := s.cfg.QuotaBytes - used
	if room <= 0 {
		return storage.MediaRef{}, s.quotaError(storage.ErrMediaBytes)
	}
	tmp, err := os.CreateTemp(s.cfg.TempDir, "media-upload-*")
	if err != nil {
		return storage.MediaRef{}, fmt.Errorf("upload to item %s: temp file: %w", item.ID, err)
	}
	defer func() {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
	}()
	head := make([]byte, SniffLen)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return storage.MediaRef{}, readError(err)
	}
	head = head[:n]
	contentType, kind, err := Sniff(head)
	if err != nil {
		return storage.MediaRef{}, err
	}
	limit := s.cfg.MaxImageBytes
	if kind == KindVideo {
		limit = s.cfg.MaxVideoBytes
	}
	if int64(n) > limit {
		return storage.MediaRef{}, tooLarge(kind, limit)
	}
	if int64(n) > room {
		return storage.MediaRef{}, s.quotaError(storage.ErrMediaBytes)
	}
	if _, err := tmp.Write(head); err != nil {
		return storage.MediaRef{}, fmt.Errorf("upload to item %s: write temp file: %w", item.ID, err)
	}
	rest, err := io.Copy(tmp, io.LimitReader(ctxReader{ctx, r}, min(limit, room)-int64(n)+1))
	if err != nil {
		return storage.MediaRef{}, readError(err)
	}
	size := int64(n) + rest
	if size > limit {
		return storage.MediaRef{}, tooLarge(kind, limit)
	}
	if size > room {
		return storage.MediaRef{}, s.quotaError(storage.ErrMediaBytes)
	}
	return s.keep(ctx, item, filename, kind, contentType, tmp, size, func(ctx context.Context, key string) error {
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("rewind temp file: %w", err)
		}
		return s.store.Put(ctx, key, tmp)
	})
}

// keep finishes an upload whose bytes are all in src (size bytes, of the
// sniffed kind and type, within the caps): it reads an image's header or
// walks a video's container, stores the original through put under a
// generated key, records the row under the seller's quota and queues its
// processing. Any rejection leaves no file and no row.
func (s *Service) keep(ctx context.Context, item storage.Item, filename, kind, contentType string, src io.ReadSeeker,
	size int64, put func(ctx context.Context, key string) error) (storage.MediaRef, error) {
	var width, height *int32
	if kind == KindImage {
		if _, err := src.Seek(0, io.SeekStart); err != nil {
			return storage.MediaRef{}, fmt.Errorf("upload to item %s: rewind: %w", item.ID, err)
		}
		w, h, err := ImageSize(src)
		if err != nil {
			return storage.MediaRef{}, err
		}
		w32, h32 := int32(w), int32(h)
		width, height = &w32, &h32
	} else if err := CheckVideo(src, size, contentType); err != nil {
		return storage.MediaRef{}, err
	}
	mediaID := ids.New()
	prefix := mediaPrefix(item.ID, mediaID)
	if err := put(ctx, prefix+"original"); err != nil {
		_ = s.store.Delete(context.WithoutCancel(ctx), prefix)
		return storage.MediaRef{}, fmt.Errorf("upload to item %s: %w", item.ID, err)
	}
	ref, err := s.rows.Insert(ctx, storage.MediaFile{MediaRef: storage.MediaRef{ID: mediaID, ItemID: item.ID,
		Kind: kind, ContentType: contentType, Width: width, Height: height},
		StorageKey: prefix + "original", SizeBytes: size},
		storage.MediaQuota{SellerID: item.SellerID, MaxFiles: s.cfg.QuotaFiles, MaxBytes: s.cfg.QuotaBytes})
	if err != nil {
		_ = s.store.Delete(context.WithoutCancel(ctx), prefix)
		if errors.Is(err, storage.ErrLimit) {
			return storage.MediaRef{}, s.quotaError(err)
		}
		return storage.MediaRef{}, fmt.Errorf("upload to item %s: record media: %w", item.ID, err)
	}
	if err := s.enqueue(ctx, mediaID); err != nil {
		bg := context.WithoutCancel(ctx)
		_ = s.rows.Delete(bg, item.ID, mediaID)
		_ = s.store.Delete(bg, prefix)
		return storage.MediaRef{}, fmt.Errorf("upload to item %s: %w", item.ID, err)
	}
	s.log.Info("media uploaded", "item", item.ID, "media", mediaID, "kind", kind,
		"content_type", contentType, "size", size, "filename", filename)
	return ref, nil
}

// enqueue queues the processing of one media file.
func (s *Service) enqueue(ctx context.Context, mediaID string) error {
	body, err := json.Marshal(taskPayload{MediaID: mediaID})
	if err != nil {
		return fmt.Errorf("encode media task: %w", err)
	}
	_, err = s.client.EnqueueContext(ctx, asynq.NewTask(TaskProcess, body), asynq.Queue(s.ns.Name(Queue)),
		asynq.TaskID(mediaID), asynq.MaxRetry(2), asynq.Timeout(s.cfg.ProcessTimeout+time.Minute))
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueue processing of media %s: %w", mediaID, err)
	}
	return nil
}

// ownedItem returns the item if userID may change it, and a not_found
// *Error otherwise, so that others' items look like missing ones.
func (s *Service) ownedItem(ctx context.Context, userID string, admin bool, itemID string) (storage.Item, error) {
	item, err := s.items.Get(ctx, itemID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !admin && item.SellerID != userID) {
		return storage.Item{}, newError(CodeNotFound, "no such item")
	}
	if err != nil {
		return storage.Item{}, fmt.Errorf("media: %w", err)
	}
	if !ValidKey(item.ID) {
		return storage.Item{}, fmt.Errorf("media: item ID %q is not usable in a key", item.ID)
	}
	return item, nil
}

// Delete removes one media file of an item the user owns (or any, for an
// admin): its row and every file made from it.
func (s *Service) Delete(ctx context.Context, userID string, admin bool, itemID, mediaID string) error {
	item, err := s.ownedItem(ctx, userID, admin, itemID)
	if err != nil {
		return err
	}
	id := strings.ToLower(mediaID) // keys use Postgres's spelling of the UUID
	if !ValidKey(id) {
		return newError(CodeNotFound, "no such media")
	}
	err = s.rows.Delete(ctx, item.ID, id)
	if errors.Is(err, storage.ErrNotFound) {
		return newError(CodeNotFound, "no such media")
	}
	if err != nil {
		return fmt.Errorf("media: %w", err)
	}
	if err := s.store.Delete(ctx, mediaPrefix(item.ID, id)); err != nil {
		return fmt.Errorf("delete files of media %s: %w", id, err)
	}
	return nil
}

// DeleteItemFiles removes every file of an item. Call it after deleting
// the item (its item_media rows go with it, ON DELETE CASCADE).
func (s *Service) DeleteItemFiles(ctx context.Context, itemID string) error {
	itemID = strings.ToLower(itemID) // keys use Postgres's spelling of the UUID
	if !ValidKey(itemID) || strings.Contains(itemID, "/") {
		return fmt.Errorf("delete files of item %q: %w", itemID, ErrBadKey)
	}
	if err := s.store.Delete(ctx, "items/"+itemID+"/"); err != nil {
		return fmt.Errorf("delete files of item %s: %w", itemID, err)
	}
	return nil
}

// mediaPrefix is the key prefix of every file of one media entry.
func mediaPrefix(itemID, mediaID string) string {
	return "items/" + itemID + "/" + mediaID + "/"
}

// outputPrefix is the key prefix of the files processing makes of one
// media entry, kept apart from the original so a failure can drop them
// all at once.
func outputPrefix(itemID, mediaID string) string {
	return mediaPrefix(itemID, mediaID) + "v/"
}

// tooLarge is the too_large rejection for a kind.
func tooLarge(kind string, limit int64) *Error {
	return newError(CodeTooLarge, fmt.Sprintf("%s files may be at most %d MB", kind, limit>>20))
}

// quotaError is the quota_exceeded rejection for storage.ErrMediaFiles or
// storage.ErrMediaBytes. The quota is the item's seller's, also when an
// admin uploads.
func (s *Service) quotaError(err error) *Error {
	if errors.Is(err, storage.ErrMediaFiles) {
		return newError(CodeQuotaExceeded, fmt.Sprintf(
			"a seller may keep at most %d media files; delete some first", s.cfg.QuotaFiles))
	}
	limit := fmt.Sprintf("%d MB", s.cfg.QuotaBytes>>20)
	if s.cfg.QuotaBytes < 1<<20 {
		limit = fmt.Sprintf("%d bytes", s.cfg.QuotaBytes)
	}
	return newError(CodeQuotaExceeded, "a seller may keep at most "+limit+" of media; this file does not fit, delete some first")
}

// readError turns a failure to read the upload into an error; a body
// over http.MaxBytesReader's limit becomes too_large.
func readError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return newError(CodeTooLarge, fmt.Sprintf("the request may be at most %d MB", mbe.Limit>>20))
	}
	return fmt.Errorf("read upload: %w", err)
}
