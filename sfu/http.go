package sfu

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// maxSDPBytes bounds an offer; real offers are a few kilobytes.
const maxSDPBytes = 64 << 10

// HTTPHandler serves WHIP and WHEP. Create it with NewHTTPHandler and mount
// it at the root of the server's mux (it only answers under /whip/ and
// /whep/):
//
//	POST   /whip/{room}           publish (Authorization: Bearer <publish token>)
//	POST   /whep/{room}           view (Bearer <view token> unless the room is public;
//	                               with another node's relay bearer, ?layer=<rid> picks
//	                               the simulcast layer, see relaylayers.go)
//	PATCH  /whip/{room}/{session} trickle ICE (application/trickle-ice-sdpfrag)
//	PATCH  /whep/{room}/{session}
//	DELETE /whip/{room}/{session} end the session
//	DELETE /whep/{room}/{session}
//	OPTIONS on all of them         CORS preflight, ICE servers in Link headers
//	                               (with a minted TURN credential when authorized)
type HTTPHandler struct {
	srv     *Server
	auth    Authorizer
	admit   Admission
	placer  Placer
	mux     *http.ServeMux
	timeout time.Duration
	// patterns are the routes registered on mux, for Patterns.
	patterns []string
}

// Admission decides whether the client of a WHIP (publish) or WHEP POST
// may open a session, before the handler does any other work; the server
// wiring implements it with its per-client rate limits and caps. It
// returns a release function, called exactly once when the session ends or
// fails to start, or an error: a *LimitError for a client over a limit
// (429), or anything else for a failure of the limiter (500).
type Admission func(r *http.Request, roomID string, publish bool) (release func(), err error)

// HandlerOption customises NewHTTPHandler.
type HandlerOption func(*HTTPHandler)

// WithAdmission makes the handler ask fn before each new session.
func WithAdmission(fn Admission) HandlerOption {
	return func(h *HTTPHandler) { h.admit = fn }
}

// WithPlacer makes the handler ask p where each new WHEP viewer should
// watch, and redirect it there with 307 (RFC 9725 section 4.5) when p names
// another node. Relays from other nodes are never redirected.
func WithPlacer(p Placer) HandlerOption {
	return func(h *HTTPHandler) { h.placer = p }
}

// NewHTTPHandler returns the WHIP/WHEP handler for srv, asking auth before
// every publish and view.
func NewHTTPHandler(srv *Server, auth Authorizer, opts ...HandlerOption) *HTTPHandler {
	h := &HTTPHandler{srv: srv, auth: auth, mux: http.NewServeMux(), timeout: 10 * time.Second}
	for _, o := range opts {
		o(h)
	}
	for _, kind := range []string{"whip", "whep"} {
		publish := kind == "whip"
		h.handle("POST /"+kind+"/{room}", func(w http.ResponseWriter, r *http.Request) { h.post(w, r, publish) })
		h.handle("DELETE /"+kind+"/{room}/{session}", func(w http.ResponseWriter, r *http.Request) { h.del(w, r, publish) })
		h.handle("PATCH /"+kind+"/{room}/{session}", func(w http.ResponseWriter, r *http.Request) { h.patch(w, r, publish) })
		h.handle("OPTIONS /"+kind+"/{room}", func(w http.ResponseWriter, r *http.Request) { h.options(w, r, publish) })
		h.handle("OPTIONS /"+kind+"/{room}/{session}", func(w http.ResponseWriter, r *http.Request) { h.options(w, r, publish) })
		h.mux.HandleFunc("/"+kind+"/", func(w http.ResponseWriter, r *http.Request) {
			setCORS(w, r)
			w.Header().Set("Allow", "POST, PATCH, DELETE, OPTIONS")
			httpError(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed here")
		})
	}
	return h
}

// handle registers fn for pattern and remembers the pattern.
func (h *HTTPHandler) handle(pattern string, fn http.HandlerFunc) {
	h.mux.HandleFunc(pattern, fn)
	h.patterns = append(h.patterns, pattern)
}

// Patterns lists the routes h serves, in ServeMux syntax ("POST
// /whip/{room}"), for the server's table of who may call what.
func (h *HTTPHandler) Patterns() []string { return append([]string(nil), h.patterns...) }

// ServeHTTP implements http.Handler.
func (h *HTTPHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// options answers a CORS preflight, and tells a WHIP/WHEP client its ICE
// servers before it makes its offer (RFC 9725 section 4.6): a client
// that must relay (iceTransportPolicy "relay") can gather nothing without
// them. Minted TURN credentials go only to a request that could open or
// owns a session: a preflight, which carries no credentials, or a request
// the Authorizer refuses gets the configured servers alone.
func (h *HTTPHandler) options(w http.ResponseWriter, r *http.Request, publish bool) {
	setCORS(w, r)
	servers := h.srv.publicICEServers()
	if r.Header.Get("Access-Control-Request-Method") == "" && h.mayMint(r, publish) {
		servers = h.srv.ICEServers()
	}
	for _, l := range linkHeaders(servers) {
		w.Header().Add("Link", l)
	}
	w.Header().Set("Accept-Post", "application/sdp")
	w.Header().Set("Accept-Patch", "application/trickle-ice-sdpfrag")
	w.WriteHeader(http.StatusNoContent)
}

// mayMint reports whether the client of an OPTIONS request may receive a
// TURN credential: it may publish or watch the room (as its POST would be
// authorized), or it names a session of the room it owns.
func (h *HTTPHandler) mayMint(r *http.Request, publish bool) bool {
	if !h.srv.cfg.TURN.enabled() || !validRoomID(r.PathValue("room")) {
		return false
	}
	if r.PathValue("session") != "" {
		_, err := h.owned(r, publish)
		return err == nil
	}
	token, err := bearer(r)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	if publish {
		return h.auth.AuthorizePublish(ctx, r.PathValue("room"), token) == nil
	}
	// Nobody can watch a room without a publisher, so asking the
	// Authorizer (a database) about one would only serve a flood.
	return h.srv.Live(r.PathValue("room")) && h.auth.AuthorizeView(ctx, r.PathValue("room"), token) == nil
}

func (h *HTTPHandler) post(w http.ResponseWriter, r *http.Request, publish bool) {
	setCORS(w, r)
	room := r.PathValue("room")
	if !validRoomID(room) {
		httpError(w, http.StatusBadRequest, "invalid room id")
		return
	}
	if ct := mediaType(r.Header.Get("Content-Type")); ct != "application/sdp" {
		httpError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/sdp")
		return
	}
	token, err := bearer(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	// Another node relaying the room (relay.go) is neither limited per
	// client nor placed elsewhere, and never starts a relay itself.
	relayed := !publish && h.srv.isRelayToken(room, token)
	release := func() {}
	if h.admit != nil && !relayed {
		rel, err := h.admit(r, room, publish)
		if err != nil {
			writeErr(w, err)
			return
		}
		if rel != nil {
			var once sync.Once
			release = func() { once.Do(rel) }
		}
	}
	// Until a session owns the release, any way out of here gives it back.
	owned := false
	defer func() {
		if !owned {
			release()
		}
	}()
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	switch {
	case relayed:
		ctx = withoutRelay(ctx)
	case publish:
		err = h.auth.AuthorizePublish(ctx, room, token)
	default:
		err = h.auth.AuthorizeView(ctx, room, token)
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	if !publish && !relayed && h.placer != nil {
		if to, err := h.placer.Place(ctx, room); err != nil {
			h.srv.log.Warn("placing a WHEP viewer failed; serving it here", "room", room, "err", err)
		} else if to != "" {
			// The client repeats the POST, offer and token, at to.
			w.Header().Set("Location", to)
			httpError(w, http.StatusTemporaryRedirect, "watch this room at "+to)
			return
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSDPBytes))
	if err != nil {
		httpError(w, http.StatusRequestEntityTooLarge, "SDP offer too large")
		return
	}
	var answer, session string
	// The close handler runs when the session ends, and also when Publish
	// or Subscribe fail after creating it; the once makes that harmless.
	onClose := WithCloseHandler(release)
	switch {
	case publish:
		answer, session, err = h.srv.Publish(ctx, room, string(body), onClose)
	case relayed:
		// A relay receives one fixed layer (relaylayers.go).
		answer, session, err = h.srv.Subscribe(ctx, room, string(body), onClose, withLayerPin(relayPin(r.URL.Query())))
	default:
		answer, session, err = h.srv.Subscribe(ctx, room, string(body), onClose)
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	owned = true
	kind := "whep"
	if publish {
		kind = "whip"
	}
	hd := w.Header()
	hd.Set("Location", "/"+kind+"/"+room+"/"+session)
	hd.Set("Content-Type", "application/sdp")
	for _, l := range linkHeaders(h.srv.ICEServers()) {
		hd.Add("Link", l)
	}
	if relayed {
		if cat := h.srv.layerCatalog(room); cat != nil {
			hd.Set(layersHeader, formatLayers(cat))
		}
	}
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, answer)
}

// owned finds the session named in the URL and checks it belongs to the
// room and role of the URL, so one room's URL cannot end another's session.
func (h *HTTPHandler) owned(r *http.Request, publish bool) (string, error) {
	id := r.PathValue("session")
	room, isPub, err := h.srv.SessionRoom(id)
	if err != nil {
		return "", err
	}
	if room != r.PathValue("room") || isPub != publish {
		return "", ErrSessionNotFound
	}
	return id, nil
}

func (h *HTTPHandler) del(w http.ResponseWriter, r *http.Request, publish bool) {
	setCORS(w, r)
	id, err := h.owned(r, publish)
	if err != nil {
		writeErr(w, err)
		return
	}
	if err := h.srv.CloseSession(id); err != nil {
		writeErr(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// patch accepts trickled candidates (RFC 9725 section 4.3.1). ICE restarts
// through PATCH are not supported; clients should start a new session.
func (h *HTTPHandler) patch(w http.ResponseWriter, r *http.Request, publish bool) {
	setCORS(w, r)
	id, err := h.owned(r, publish)
	if err != nil {
		writeErr(w, err)
		return
	}
	if mediaType(r.Header.Get("Content-Type")) != "application/trickle-ice-sdpfrag" {
		httpError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/trickle-ice-sdpfrag")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSDPBytes))
	if err != nil {
		httpError(w, http.StatusRequestEntityTooLarge, "body too large")
		return
	}
	var mid string
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "a=mid:"); ok {
			mid = v
		}
		if c, ok := strings.CutPrefix(line, "a="); ok && strings.HasPrefix(c, "candidate:") {
			init := webrtc.ICECandidateInit{Candidate: c}
			if mid != "" {
				m := mid
				init.SDPMid = &m
			}
			if err := h.srv.AddICECandidate(id, init); err != nil {
				writeErr(w, err)
				return
			}
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func bearer(r *http.Request) (string, error) {
	a := r.Header.Get("Authorization")
	if a == "" {
		return "", nil
	}
	scheme, tok, ok := strings.Cut(a, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", ErrUnauthorized
	}
	return strings.TrimSpace(tok), nil
}

func mediaType(ct string) string {
	t, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(t))
}

func validRoomID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// httpStatus maps the package's errors to HTTP status codes, once, here.
func httpStatus(err error) int {
	switch {
	case errors.Is(err, ErrUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, ErrRoomNotFound), errors.Is(err, ErrNotLive), errors.Is(err, ErrSessionNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrPublisherExists):
		return http.StatusConflict
	case errors.Is(err, ErrBadOffer):
		return http.StatusBadRequest
	case errors.Is(err, ErrCodecMismatch):
		return http.StatusNotAcceptable
	case errors.Is(err, ErrTooManyRequests):
		return http.StatusTooManyRequests
	case errors.Is(err, ErrTooManySessions), errors.Is(err, ErrClosed):
		return http.StatusServiceUnavailable
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	default:
		return http.StatusInternalServerError
	}
}

func writeErr(w http.ResponseWriter, err error) {
	code := httpStatus(err)
	msg := strings.TrimPrefix(err.Error(), "sfu: ")
	if code == http.StatusInternalServerError {
		msg = "internal error"
	}
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="bidcast"`)
	}
	var le *LimitError
	if errors.As(err, &le) {
		w.Header().Set("Retry-After", strconv.Itoa(max(int((le.RetryAfter+time.Second-1)/time.Second), 1)))
	}
	httpError(w, code, msg)
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, msg+"\n")
}
