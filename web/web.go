package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strings"
)

//go:embed static
var static embed.FS

// contentSecurityPolicy allows the pages' own scripts and styles only (no
// inline script), images from the server (item photos under /media/) and
// blob previews of files about to be uploaded, media from WebRTC streams,
// the WebSocket, and WHEP on the cluster's other nodes: in a cluster the
// join reply and WHEP's 307 send the player to a node's own URL, and nodes
// come and go, so connect-src names schemes, not hosts (ws: and wss:
// already let a script reach any host; script-src 'self' is the guard).
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self' ws: wss: http: https:; " +
	"frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"

// permissionsPolicy lets the pages (the studio) use the camera and the
// microphone, and nothing embedded elsewhere.
const permissionsPolicy = "camera=(self), microphone=(self), geolocation=()"

// Cache lifetimes. The pages are small and change with the binary, so a
// page is always revalidated (its ETag makes that a 304); the scripts and
// the style sheet may be reused for a few minutes before revalidating.
const (
	pageCache  = "no-cache"
	assetCache = "public, max-age=300"
)

// roomPage matches a room's page, /rooms/{id}.
var roomPage = regexp.MustCompile(`^/rooms/[0-9a-fA-F-]{36}$`)

// pages maps the client's paths to the documents that serve them. Every
// room shares one document; its script reads the room's ID from the path.
var pages = map[string]string{
	"/":        "index.html",
	"/studio":  "studio.html",
	"/login":   "login.html",
	"/account": "account.html",
}

// asset is one embedded file, read once at start.
type asset struct {
	body        []byte
	etag        string
	contentType string
}

// Handler serves the embedded pages and assets to GET and HEAD: the lobby
// at /, a room at /rooms/{id}, the seller studio at /studio, sign-in at
// /login and the account page at /account, and the scripts and style
// sheet at /{name}. Unknown paths answer 404, other methods 405. Every
// answer carries the security headers (CSP without inline script, nosniff,
// same-origin referrers, no framing).
func Handler() http.Handler {
	assets, err := loadAssets()
	if err != nil {
		// The embed pattern above guarantees the files exist and are
		// readable; failing here is a build defect.
		panic(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("Permissions-Policy", permissionsPolicy)
		h.Set("X-Frame-Options", "DENY")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name, cache := resolve(r.URL.Path)
		a, ok := assets[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h.Set("Content-Type", a.contentType)
		h.Set("Cache-Control", cache)
		h.Set("ETag", a.etag)
		if match := r.Header.Get("If-None-Match"); match != "" && etagMatches(match, a.etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Length", fmt.Sprint(len(a.body)))
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(a.body)
	})
}

// resolve maps a request path to an embedded file name and its cache
// policy. Pages are reached only by their public paths; assets by their
// own names (no directories, no .html).
func resolve(p string) (name, cache string) {
	if page, ok := pages[p]; ok {
		return page, pageCache
	}
	if roomPage.MatchString(p) {
		return "room.html", pageCache
	}
	name = strings.TrimPrefix(p, "/")
	if name == "" || strings.Contains(name, "/") || strings.HasSuffix(name, ".html") {
		return "", ""
	}
	return name, assetCache
}

// etagMatches reports whether an If-None-Match header names etag.
func etagMatches(header, etag string) bool {
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(part), "W/"))
		if part == etag || part == "*" {
			return true
		}
	}
	return false
}

// loadAssets reads every embedded file with its strong ETag and type.
func loadAssets() (map[string]asset, error) {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		return nil, fmt.Errorf("open embedded pages: %w", err)
	}
	entries, err := fs.ReadDir(sub, ".")
	if err != nil {
		return nil, fmt.Errorf("list embedded pages: %w", err)
	}
	out := make(map[string]asset, len(entries))
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		body, err := fs.ReadFile(sub, e.Name())
		if err != nil {
			return nil, fmt.Errorf("read embedded %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(body)
		out[e.Name()] = asset{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`,
			contentType: contentType(e.Name())}
	}
	return out, nil
}

// contentType is the MIME type of an embedded file, by its extension.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/x-icon"
	}
	return "application/octet-stream"
}
