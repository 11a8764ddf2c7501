package api

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/bidcast/bidcast/internal/apierr"
	"github.com/bidcast/bidcast/storage"
)

// Media is what the API needs of the item media service. Package media
// implements it (*media.Service) and cmd injects it through Deps.Media, so
// the API does not import media: the upload and delete routes below live
// in the API's route table and get its authentication, rate limits, error
// format, CSRF protection (cmd wraps the whole API) and OpenAPI entry,
// while the media package keeps the checking, storing and processing.
type Media interface {
	// MaxUploadBytes bounds the whole multipart request of an upload.
	MaxUploadBytes() int64
	// Upload checks, stores and queues one file for an item the user
	// owns (any item for an admin). Rejections are coded errors
	// (internal/apierr) sent as they are; nothing is left behind by a
	// rejection.
	Upload(ctx context.Context, userID string, admin bool, itemID, filename string, r io.Reader) (storage.MediaRef, error)
	// Delete removes one media entry of an item, its row and its files.
	Delete(ctx context.Context, userID string, admin bool, itemID, mediaID string) error
	// DeleteItemFiles removes every stored file of an item that is gone.
	DeleteItemFiles(ctx context.Context, itemID string) error
	// URLs gives the URLs of a ready entry's files by role ("w320",
	// "w1280" for images, "hls" and "poster" for videos); nil otherwise.
	URLs(ref storage.MediaRef) map[string]string
	// CreateUpload answers a tus creation request (POST) for an item the
	// user owns (any item for an admin); ServeUpload answers HEAD, PATCH
	// and DELETE of an upload the user created (any for an admin). Both
	// write tus answers themselves and return only coded errors for the
	// API to send (another's item or upload is not_found).
	CreateUpload(w http.ResponseWriter, r *http.Request, userID string, admin bool, itemID string) error
	ServeUpload(w http.ResponseWriter, r *http.Request, userID string, admin bool, uploadID string) error
	// LiveThumbnail is a room's live thumbnail (a JPEG), or ok false when
	// it has none.
	LiveThumbnail(ctx context.Context, roomID string) (jpeg []byte, ok bool, err error)
}

// errMediaDisabled answers the media routes of a server built without
// Deps.Media.
var errMediaDisabled = &Error{Status: http.StatusServiceUnavailable, Code: "media_disabled",
	Message: "this server does not accept media uploads"}

// mediaError turns a media service error into a client error when it is
// one; anything else stays an internal error.
func mediaError(err error) error {
	if _, ok := apierr.As(err); ok {
		return err
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large",
			Message: "the upload is larger than this server accepts"}
	}
	return err
}

// toMediaJSON shows one media entry, with its file URLs once it is ready.
func (s *server) toMediaJSON(m storage.MediaRef) mediaJSON {
	out := mediaJSON{ID: m.ID, Kind: m.Kind, Status: m.Status, ContentType: m.ContentType,
		Width: m.Width, Height: m.Height, DurationMS: m.DurationMS, Position: m.Position,
		FailureReason: m.FailureReason}
	if s.media != nil {
		out.URLs = s.media.URLs(m)
	}
	return out
}

// uploadMedia serves POST /items/{id}/media: a multipart body whose "file"
// field is streamed to the media service. Other fields are skipped.
func (s *server) uploadMedia(w http.ResponseWriter, r *http.Request, p Principal) error {
	if s.media == nil {
		return errMediaDisabled
	}
	it, err := s.ownItem(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "multipart/form-data" {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Message: `send multipart/form-data with the file in the field "file"`}
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.media.MaxUploadBytes())
	mr, err := r.MultipartReader()
	if err != nil {
		return &Error{Status: http.StatusBadRequest, Code: "invalid_multipart", Message: "the multipart body cannot be read"}
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return &Error{Status: http.StatusBadRequest, Code: "invalid_multipart", Field: "file",
				Message: `the form has no field "file"`}
		}
		if err != nil {
			if e := mediaError(err); e != err {
				return e
			}
			return &Error{Status: http.StatusBadRequest, Code: "invalid_multipart", Message: "the multipart body is malformed"}
		}
		if part.FormName() != "file" {
			_ = part.Close()
			continue
		}
		ref, err := s.media.Upload(r.Context(), p.UserID, p.Admin(), it.ID, part.FileName(), part)
		_ = part.Close()
		if err != nil {
			return mediaError(err)
		}
		w.Header().Set("Location", Prefix+"/items/"+it.ID)
		writeJSON(w, http.StatusAccepted, s.toMediaJSON(ref))
		return nil
	}
}

// createUpload serves POST /items/{id}/uploads: the creation of a
// resumable (tus 1.0) upload, whose URL the answer's Location gives.
func (s *server) createUpload(w http.ResponseWriter, r *http.Request, p Principal) error {
	if s.media == nil {
		return errMediaDisabled
	}
	it, err := s.ownItem(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return mediaError(s.media.CreateUpload(w, r, p.UserID, p.Admin(), it.ID))
}

// serveUpload serves HEAD, PATCH and DELETE /uploads/{upload_id}: the
// offset to resume from, more bytes, and cancelling.
func (s *server) serveUpload(w http.ResponseWriter, r *http.Request, p Principal) error {
	if s.media == nil {
		return errMediaDisabled
	}
	return mediaError(s.media.ServeUpload(w, r, p.UserID, p.Admin(), r.PathValue("upload_id")))
}

// deleteMedia serves DELETE /items/{id}/media/{media_id}.
func (s *server) deleteMedia(w http.ResponseWriter, r *http.Request, p Principal) error {
	if s.media == nil {
		return errMediaDisabled
	}
	it, err := s.ownItem(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.media.Delete(r.Context(), p.UserID, p.Admin(), it.ID, r.PathValue("media_id")); err != nil {
		return mediaError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteItemFiles removes a deleted item's files. The item is already gone,
// so the request has succeeded; a failure here is logged, not returned, and
// the files are left for an operator to sweep.
func (s *server) deleteItemFiles(ctx context.Context, itemID string) {
	if s.media == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := s.media.DeleteItemFiles(ctx, itemID); err != nil {
		s.log.Warn("item deleted but not its media files", "item", itemID, "err", err)
	}
}
