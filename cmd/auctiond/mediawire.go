package main

import (
	"context"
	"net/http"
	"time"

	"github.com/bidcast/bidcast/api"
	"github.com/bidcast/bidcast/auth"
	"github.com/bidcast/bidcast/media"
)

// mediaRoutes mounts item media: uploads and deletes beside the JSON API
// (same prefix, same CSRF protection), processed files under /media/, and
// an item delete that also removes the item's files.
func (a *App) mediaRoutes(mux *http.ServeMux) {
	m := a.svc.media
	who := mediaPrincipal(a.svc.auth)
	csrf := a.svc.auth.CSRF
	mux.Handle("POST "+api.Prefix+"/items/{id}/media", csrf(m.UploadHandler(who)))
	mux.Handle("DELETE "+api.Prefix+"/items/{id}/media/{media_id}", csrf(m.DeleteHandler(who)))
	mux.Handle("DELETE "+api.Prefix+"/items/{id}", csrf(deleteItemFiles(a.svc.api, m, a)))
	mux.Handle("/media/{key...}", m.FileServer())
}

// mediaPrincipal tells the media handlers who calls.
func mediaPrincipal(svc *auth.Service) media.PrincipalFunc {
	return func(r *http.Request) (string, bool, bool) {
		p, err := svc.Authenticate(r)
		if err != nil || p.Anonymous() {
			return "", false, false
		}
		return p.UserID, p.IsAdmin(), true
	}
}

// deleteItemFiles lets the API delete an item, then removes the item's
// stored files once the row is gone (its media rows go with it).
func deleteItemFiles(apiHandler http.Handler, m *media.Service, a *App) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		apiHandler.ServeHTTP(rec, r)
		if rec.status != http.StatusNoContent && rec.status != http.StatusOK {
			return
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 30*time.Second)
		defer cancel()
		if err := m.DeleteItemFiles(ctx, r.PathValue("id")); err != nil {
			a.log.Warn("item deleted but its files were not", "item", r.PathValue("id"), "err", err)
		}
	})
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the status and passes it on.
func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
