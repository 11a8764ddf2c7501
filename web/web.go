package web

import (
	"embed"
	"io/fs"
	"net/http"
	"regexp"
)

//go:embed static
var static embed.FS

// contentSecurityPolicy allows the pages' own scripts and styles only (no
// inline script), media from WebRTC streams, and the WebSocket.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self' ws: wss:; " +
	"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// roomPage matches a room's page, /rooms/{id}.
var roomPage = regexp.MustCompile(`^/rooms/[0-9a-fA-F-]{36}$`)

// Handler serves the embedded pages and assets to GET and HEAD. Unknown
// paths answer 404, other methods 405.
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		// The embed pattern above guarantees the directory exists.
		panic(err)
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		if roomPage.MatchString(r.URL.Path) {
			// The room page is one document for every room; its script
			// reads the room's ID from the path.
			r = r.Clone(r.Context())
			r.URL.Path = "/room.html"
		}
		files.ServeHTTP(w, r)
	})
}
