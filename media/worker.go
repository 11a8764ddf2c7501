package media

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"golang.org/x/image/draw"

	"github.com/bidcast/bidcast/internal/asynqlog"
	"github.com/bidcast/bidcast/storage"
)

// ImageWidths are the widths of the JPEG variants made of every image,
// stored as w<width>.jpg; an image narrower than a width keeps its own.
var ImageWidths = []int{320, 1280}

// RunWorker processes queued uploads on the media queue (and on the one of
// releases before namespaces, see WithNamespace) until ctx is done, and removes expired unfinished resumable uploads (SweepUploads).
// Run it in every process that should do media work.
func (s *Service) RunWorker(ctx context.Context) error {
	srv := asynq.NewServerFromRedisClient(s.rdb, asynq.Config{
		Concurrency: s.cfg.Concurrency,
		Queues:      s.ns.Queues(map[string]int{Queue: 1}),
		Logger:      asynqlog.New(s.log),
		LogLevel:    asynq.WarnLevel,
	})
	mux := asynq.NewServeMux()
	mux.HandleFunc(TaskProcess, s.handleProcess)
	if err := srv.Start(mux); err != nil {
		return fmt.Errorf("start media worker: %w", err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go s.runSweeper(ctx, &wg)
	<-ctx.Done()
	srv.Shutdown()
	wg.Wait()
	return nil
}

// mediaRow is what processing needs of an item_media row.
type mediaRow struct {
	ID, ItemID, Kind, ContentType, Key, Status string
}

// result is what processing learned about a file.
type result struct {
	Width, Height int
	DurationMS    *int32
}

// handleProcess is the Asynq handler of TaskProcess.
func (s *Service) handleProcess(ctx context.Context, t *asynq.Task) error {
	var p taskPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("media task payload: %w: %w", err, asynq.SkipRetry)
	}
	return s.Process(ctx, p.MediaID)
}

// Process makes the variants of one uploaded file and records the
// outcome: status ready with its dimensions, or failed with a reason. A
// file deleted meanwhile is skipped, and any files made for it removed.
func (s *Service) Process(ctx context.Context, mediaID string) error {
	row, err := s.rows.Get(ctx, mediaID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("process: %w", err)
	}
	m := mediaRow{ID: row.ID, ItemID: row.ItemID, Kind: row.Kind, ContentType: row.ContentType,
		Key: row.StorageKey, Status: row.Status}
	if m.Status != StatusProcessing {
		return nil
	}
	pctx, cancel := context.WithTimeout(ctx, s.cfg.ProcessTimeout)
	defer cancel()
	start := time.Now()
	var res result
	if m.Kind == KindImage {
		res, err = s.processImage(pctx, m)
	} else {
		res, err = s.processVideo(pctx, m)
	}
	bg := context.WithoutCancel(ctx)
	var recorded bool
	if err != nil {
		if ctx.Err() != nil { // shutting down: let Asynq retry later
			return fmt.Errorf("process media %s: %w", m.ID, err)
		}
		reason := err.Error()
		var coded *Error
		if errors.As(err, &coded) {
			// A rejection by rule: its stable code first, then the words.
			reason = coded.Code + ": " + coded.Message
		}
		if len(reason) > 1000 {
			reason = "…" + reason[len(reason)-1000:]
		}
		s.log.Warn("media processing failed", "media", m.ID, "item", m.ItemID, "reason", reason)
		recorded, err = s.rows.MarkFailed(bg, m.ID, reason)
		_ = s.store.Delete(bg, outputPrefix(m.ItemID, m.ID))
	} else {
		s.log.Info("media processed", "media", m.ID, "item", m.ItemID, "took", time.Since(start))
		recorded, err = s.rows.MarkReady(bg, m.ID, res.Width, res.Height, res.DurationMS)
	}
	if err != nil {
		return fmt.Errorf("record outcome: %w", err)
	}
	if !recorded {
		// Deleted while we worked: drop what we made.
		_ = s.store.Delete(bg, mediaPrefix(m.ItemID, m.ID))
	}
	return nil
}

// processImage decodes an image (its size checked again first), and
// stores a re-encoded JPEG per ImageWidths, which drops EXIF and any
// other metadata.
func (s *Service) processImage(ctx context.Context, m mediaRow) (result, error) {
	f, _, err := s.store.Open(ctx, m.Key)
	if err != nil {
		return result{}, fmt.Errorf("open original: %w", err)
	}
	defer f.Close()
	w, h, err := ImageSize(f)
	if err != nil {
		return result{}, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return result{}, fmt.Errorf("rewind original: %w", err)
	}
	orient := orientation(1)
	if m.ContentType == TypeJPEG {
		orient = jpegOrientation(f)
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return result{}, fmt.Errorf("rewind original: %w", err)
		}
	}
	if orient.swapsAxes() {
		w, h = h, w // the row records the upright size
	}
	src, _, err := image.Decode(f)
	if err != nil {
		return result{}, fmt.Errorf("decode image: %w", err)
	}
	prefix := outputPrefix(m.ItemID, m.ID)
	for _, target := range ImageWidths {
		if err := ctx.Err(); err != nil {
			return result{}, fmt.Errorf("resize image: %w", err)
		}
		buf, err := resizeJPEG(src, target, orient)
		if err != nil {
			return result{}, err
		}
		if err := s.store.Put(ctx, fmt.Sprintf("%sw%d.jpg", prefix, target), bytes.NewReader(buf)); err != nil {
			return result{}, fmt.Errorf("store variant: %w", err)
		}
	}
	return result{Width: w, Height: h}, nil
}

// resizeJPEG scales src so that, turned upright as o says, it is width
// wide (never up), on white for transparent images, with Catmull-Rom,
// then turns it upright and encodes it as JPEG.
func resizeJPEG(src image.Image, width int, o orientation) ([]byte, error) {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if o.swapsAxes() {
		sw, sh = sh, sw
	}
	w := min(width, sw)
	h := max(1, int(int64(sh)*int64(w)/int64(sw)))
	if o.swapsAxes() {
		w, h = h, w // scaled in the stored frame, turned below
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Over, nil)
	dst = o.upright(dst)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 85}); err != nil {
		return nil, fmt.Errorf("encode %dpx variant: %w", w, err)
	}
	return buf.Bytes(), nil
}

// URLs returns the URLs of a ready media entry's files, by role: "w320"
// and "w1280" for images; "hls" (master playlist), "mp4" (progressive
// fallback) and "poster" for videos. Entries not ready have none.
func (s *Service) URLs(ref storage.MediaRef) map[string]string {
	if ref.Status != StatusReady {
		return nil
	}
	p := s.cfg.URLPrefix + outputPrefix(ref.ItemID, ref.ID)
	if ref.Kind == KindVideo {
		return map[string]string{"hls": p + "hls/master.m3u8", "mp4": p + "fallback.mp4", "poster": p + "poster.jpg"}
	}
	out := make(map[string]string, len(ImageWidths))
	for _, w := range ImageWidths {
		out[fmt.Sprintf("w%d", w)] = fmt.Sprintf("%sw%d.jpg", p, w)
	}
	return out
}
