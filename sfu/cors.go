package sfu

import (
	"fmt"
	"net/http"
	"strings"
)

// setCORS lets browser players on another origin use WHIP/WHEP: the
// response must expose Location (to delete the session) and Link (ICE
// servers), and preflights must allow the Authorization header.
func setCORS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	origin := r.Header.Get("Origin")
	if origin == "" {
		origin = "*"
	} else {
		h.Add("Vary", "Origin")
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", "POST, PATCH, DELETE, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match")
	h.Set("Access-Control-Expose-Headers", "Location, Link, ETag, Accept-Patch")
	h.Set("Access-Control-Max-Age", "600")
}

// linkHeaders renders the ICE servers as WHIP/WHEP Link headers
// (RFC 9725 section 4.6).
func linkHeaders(servers []ICEServer) []string {
	var out []string
	for _, s := range servers {
		for _, u := range s.URLs {
			l := fmt.Sprintf(`<%s>; rel="ice-server"`, u)
			if s.Username != "" {
				l += fmt.Sprintf(`; username="%s"; credential="%s"; credential-type="password"`,
					quote(s.Username), quote(s.Credential))
			}
			out = append(out, l)
		}
	}
	return out
}

func quote(s string) string { return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) }
