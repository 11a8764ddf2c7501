package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/bidcast/bidcast/storage"
)

// Routes returns the handler of every /auth route, behind cross-origin
// protection. Mount it at "/auth/" on the server's mux. The first call logs
// the warnings about cookies (random keys, no Secure flag on plain http),
// which concern only a process that serves them.
//
//	GET  /auth/providers              enabled identity providers
//	GET  /auth/login/{provider}       start a login (?return_to=/local/path)
//	GET  /auth/callback/{provider}    provider redirects back here
//	POST /auth/callback/{provider}    ... or posts a form (Apple)
//	POST /auth/guest                  {"display_name":"..."} → guest session
//	GET  /auth/link/{token}           redeem an operator-issued login link
//	POST /auth/refresh                rotate the refresh cookie, new access token
//	POST /auth/logout                 revoke the session, clear cookies
//	GET  /auth/me                     who the caller is
//	POST /auth/ticket                 one-use WebSocket ticket
//	POST /auth/seller/apply           ask to become a seller
//	POST /auth/seller/approve         {"user_id":"..."}, admins only
//	POST /auth/rooms/{id}/viewer-token  invitation to a non-public room
func (s *Service) Routes() http.Handler {
	s.warnOnce.Do(func() {
		for _, w := range s.cookieWarnings {
			s.log.Warn(w)
		}
	})
	mux := http.NewServeMux()
	for _, rt := range s.routeTable() {
		mux.Handle(rt.pattern, s.errorHandler(rt.handler))
	}
	return s.CSRF(mux)
}

// authRoute is one /auth endpoint.
type authRoute struct {
	pattern string
	handler func(http.ResponseWriter, *http.Request) error
}

// routeTable is the whole /auth surface.
func (s *Service) routeTable() []authRoute {
	return []authRoute{
		{"GET /auth/providers", s.handleProviders},
		{"GET /auth/login/{provider}", s.beginLogin},
		{"GET /auth/callback/{provider}", s.callback},
		{"POST /auth/callback/{provider}", s.callback},
		{"POST /auth/guest", s.handleGuest},
		{"GET /auth/link/{token}", s.handleLoginLink},
		{"POST /auth/refresh", s.handleRefresh},
		{"POST /auth/logout", s.handleLogout},
		{"GET /auth/me", s.handleMe},
		{"POST /auth/ticket", s.handleTicket},
		{"POST /auth/seller/apply", s.handleApply},
		{"POST /auth/seller/approve", s.handleApprove},
		{"POST /auth/rooms/{id}/viewer-token", s.handleViewerToken},
	}
}

// RoutePatterns lists every /auth route in ServeMux syntax, for the
// server's table of who may call what.
func (s *Service) RoutePatterns() []string {
	var out []string
	for _, rt := range s.routeTable() {
		out = append(out, rt.pattern)
	}
	return out
}

// errorHandler answers a handler's error with its JSON shape and logs it:
// client mistakes at debug level, failures of ours or a provider at warn.
// Only the error's text and the route pattern are logged, never the
// request path: a login link's token travels in it.
func (s *Service) errorHandler(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		e := asError(err)
		if e.Status >= 500 {
			s.log.Warn("auth request failed", "route", r.Pattern, "code", e.Code, "err", err)
		} else {
			s.log.Debug("auth request refused", "route", r.Pattern, "code", e.Code, "err", err)
		}
		WriteError(w, err)
	})
}

// sessionBody answers a login or refresh. The access token is included for
// clients that send it as a Bearer header (bots, native apps); the refresh
// token never is: it stays in its HttpOnly cookie, out of scripts' reach.
type sessionBody struct {
	User        Principal `json:"user"`
	AccessToken string    `json:"access_token"`
	ExpiresIn   int       `json:"expires_in"`
}

func (s *Service) answerSession(w http.ResponseWriter, p Principal, t tokens) {
	s.setSessionCookies(w, t)
	writeJSON(w, http.StatusOK, sessionBody{User: p, AccessToken: t.Access, ExpiresIn: int(t.ExpiresIn / time.Second)})
}

// decodeBody reads a small JSON body into v.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return ErrBadRequest
	}
	return nil
}

func (s *Service) handleProviders(w http.ResponseWriter, _ *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{"providers": s.EnabledProviders()})
	return nil
}

func (s *Service) handleGuest(w http.ResponseWriter, r *http.Request) error {
	if err := s.limiter.allow(r, "login", s.cfg.RateLimit.Login); err != nil {
		return err
	}
	var body struct {
		DisplayName string `json:"display_name"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	p, t, err := s.guestLogin(r.Context(), body.DisplayName)
	if err != nil {
		return err
	}
	s.answerSession(w, p, t)
	return nil
}

func (s *Service) handleRefresh(w http.ResponseWriter, r *http.Request) error {
	if err := s.limiter.allow(r, "token", s.cfg.RateLimit.Token); err != nil {
		return err
	}
	c, err := r.Cookie(RefreshCookie)
	if err != nil || c.Value == "" {
		return ErrUnauthorized
	}
	p, t, err := s.refresh(r.Context(), c.Value)
	if errors.Is(err, ErrInvalidToken) || errors.Is(err, ErrTokenReused) {
		s.clearSessionCookies(w)
	}
	if err != nil {
		return err
	}
	s.answerSession(w, p, t)
	return nil
}

func (s *Service) handleLogout(w http.ResponseWriter, r *http.Request) error {
	if err := s.limiter.allow(r, "token", s.cfg.RateLimit.Token); err != nil {
		return err
	}
	s.clearSessionCookies(w)
	if c, err := r.Cookie(RefreshCookie); err == nil && c.Value != "" {
		if err := s.revoke(r.Context(), c.Value); err != nil && !errors.Is(err, ErrInvalidToken) {
			return err
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) handleMe(w http.ResponseWriter, r *http.Request) error {
	p, err := s.Authenticate(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": p})
	return nil
}

func (s *Service) handleTicket(w http.ResponseWriter, r *http.Request) error {
	if err := s.limiter.allow(r, "token", s.cfg.RateLimit.Token); err != nil {
		return err
	}
	p, err := s.Authenticate(r)
	if err != nil {
		return err
	}
	t, err := s.IssueTicket(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"ticket": t, "expires_in": int(s.cfg.TicketTTL / time.Second)})
	return nil
}

// userBody is a user as the seller routes show it.
type userBody struct {
	ID           string `json:"id"`
	DisplayName  string `json:"display_name"`
	Role         string `json:"role"`
	SellerStatus string `json:"seller_status"`
}

func userJSON(u storage.User) userBody {
	return userBody{ID: u.ID, DisplayName: u.DisplayName, Role: u.Role, SellerStatus: u.SellerStatus}
}

func (s *Service) handleApply(w http.ResponseWriter, r *http.Request) error {
	p, err := s.Authenticate(r)
	if err != nil {
		return err
	}
	u, err := s.applySeller(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": userJSON(u)})
	return nil
}

func (s *Service) handleApprove(w http.ResponseWriter, r *http.Request) error {
	p, err := s.Authenticate(r)
	if err != nil {
		return err
	}
	var body struct {
		UserID string `json:"user_id"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		return err
	}
	if body.UserID == "" && p.IsAdmin() {
		return fmt.Errorf("approve seller: user_id is required: %w", ErrBadRequest)
	}
	u, err := s.approveSeller(r.Context(), p, body.UserID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": userJSON(u)})
	return nil
}

func (s *Service) handleViewerToken(w http.ResponseWriter, r *http.Request) error {
	p, err := s.Authenticate(r)
	if err != nil {
		return err
	}
	if s.rooms == nil {
		return errNoRooms
	}
	room, err := s.rooms.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return storageErr(err)
	}
	t, err := s.IssueViewerToken(p, RoomOf(room))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": t, "expires_in": int(s.cfg.ViewerTTL / time.Second)})
	return nil
}
