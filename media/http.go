package media

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"
)

// PrincipalFunc returns the signed-in user of a request and whether they
// are an admin; ok is false when nobody is signed in.
type PrincipalFunc func(*http.Request) (userID string, admin bool, ok bool)

// uploadResponse is the 202 body of an accepted upload.
type uploadResponse struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Status      string `json:"status"`
	ContentType string `json:"content_type"`
	SizeBytes   int64  `json:"size_bytes"`
}

// multipartSlack is what the multipart framing may add to a file's size.
const multipartSlack = 1 << 20

// UploadHandler serves POST /api/v1/items/{id}/media: a multipart body
// whose "file" field is the upload. It answers 202 with
// {"id","kind","status","content_type","size_bytes"} or
// {"error":{"code","message"}} with 400, 401, 404, 413, 415 or 422.
func (s *Service) UploadHandler(principal PrincipalFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use POST")
			return
		}
		userID, admin, ok := principal(r)
		if !ok {
			writeError(w, http.StatusUnauthorized, "unauthorized", "sign in to upload")
			return
		}
		ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || ct != "multipart/form-data" {
			writeError(w, http.StatusBadRequest, "bad_request", "send multipart/form-data with a file field")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max(s.cfg.MaxImageBytes, s.cfg.MaxVideoBytes)+multipartSlack)
		mr, err := r.MultipartReader()
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", "the multipart body could not be read")
			return
		}
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				writeError(w, http.StatusBadRequest, "bad_request", "the form has no file field")
				return
			}
			if err != nil {
				s.writeUploadError(w, readError(err))
				return
			}
			if part.FormName() != "file" {
				_ = part.Close()
				continue
			}
			up, err := s.upload(r.Context(), userID, admin, r.PathValue("id"), part.FileName(), part)
			_ = part.Close()
			if err != nil {
				s.writeUploadError(w, err)
				return
			}
			writeJSON(w, http.StatusAccepted, uploadResponse{ID: up.ID, Kind: up.Kind, Status: up.Status,
				ContentType: up.ContentType, SizeBytes: up.SizeBytes})
			return
		}
	})
}

// writeUploadError answers with the *Error in err, or a 500 (logged).
func (s *Service) writeUploadError(w http.ResponseWriter, err error) {
	var e *Error
	if errors.As(err, &e) {
		writeError(w, HTTPStatus(e.Code), e.Code, e.Message)
		return
	}
	if strings.Contains(err.Error(), "multipart") {
		writeError(w, http.StatusBadRequest, "bad_request", "the multipart body is malformed")
		return
	}
	s.log.Error("media upload failed", "err", err)
	writeError(w, http.StatusInternalServerError, "internal", "the upload could not be saved")
}

// DeleteHandler serves DELETE /api/v1/items/{id}/media/{media_id} (the
// wildcard may also be named {media}): 204, or {"error":...} with 401 or
// 404.
func (s *Service) DeleteHandler(principal PrincipalFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		userID, admin, ok := principal(r)
		if !ok {
			writeError(w, http.StatusUnauthorized, "unauthorized", "sign in to delete media")
			return
		}
		mediaID := r.PathValue("media_id")
		if mediaID == "" {
			mediaID = r.PathValue("media")
		}
		if err := s.Delete(r.Context(), userID, admin, r.PathValue("id"), mediaID); err != nil {
			s.writeUploadError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// servedTypes are the only files FileServer hands out, by extension:
// processed outputs. Originals are never served as they were uploaded.
var servedTypes = map[string]string{
	".jpg":  "image/jpeg",
	".m3u8": "application/vnd.apple.mpegurl",
	".ts":   "video/mp2t",
	".mp4":  "video/mp4",
}

// FileServer serves GET /media/{key...}: processed files with
// nosniff, a strict CSP, immutable caching (keys are never reused) and
// range requests. Mount it with a {key...} wildcard.
func (s *Service) FileServer() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		key := r.PathValue("key")
		ct, ok := servedTypes[path.Ext(key)]
		if !ok || !ValidKey(key) || !strings.HasPrefix(key, "items/") {
			http.NotFound(w, r)
			return
		}
		f, info, err := s.store.Open(r.Context(), key)
		if err != nil {
			if !errors.Is(err, ErrNoObject) && !errors.Is(err, ErrBadKey) {
				s.log.Error("media file open failed", "key", key, "err", err)
			}
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		h := w.Header()
		h.Set("Content-Type", ct)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		h.Set("Cross-Origin-Resource-Policy", "same-site")
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		http.ServeContent(w, r, path.Base(key), info.ModTime, f)
	})
}

// writeError writes {"error":{"code","message"}}.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// writeJSON writes v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
