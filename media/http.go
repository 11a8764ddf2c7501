package media

import (
	"errors"
	"net/http"
	"path"
	"strings"
)

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
