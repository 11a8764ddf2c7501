package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/markbates/goth"

	"github.com/bidcast/bidcast/storage"
)

// We use goth's providers directly rather than gothic: gothic reads the
// state from the request when one is given, keeps it in a gorilla session
// store we would have to configure around, and is built on package
// globals. Here the state is always ours (state.go), the provider set is
// per Service, and only the code (and PKCE verifier) from the callback is
// handed to goth: a redirect_uri parameter smuggled into the callback URL
// never reaches the token exchange.

// beginLogin redirects the browser to the provider's consent page.
func (s *Service) beginLogin(w http.ResponseWriter, r *http.Request) error {
	if err := s.limiter.allow(r, "login", s.cfg.RateLimit.Login); err != nil {
		return err
	}
	p, ok := s.providers[r.PathValue("provider")]
	if !ok {
		return ErrUnknownProvider
	}
	st := oauthState{State: randomToken(32), Provider: p.info.Name, ReturnTo: safeReturnTo(r.URL.Query().Get("return_to"))}
	sess, err := p.goth.BeginAuth(st.State)
	if err != nil {
		return fmt.Errorf("begin %s login: %v: %w", p.info.Name, err, ErrProvider)
	}
	authURL, err := sess.GetAuthURL()
	if err != nil {
		return fmt.Errorf("begin %s login: %v: %w", p.info.Name, err, ErrProvider)
	}
	if p.pkce {
		st.Verifier = randomToken(32)
		if authURL, err = withPKCE(authURL, st.Verifier); err != nil {
			return fmt.Errorf("begin %s login: %w", p.info.Name, err)
		}
	}
	st.Session = sess.Marshal()
	if err := s.saveState(r.Context(), w, p, st); err != nil {
		return err
	}
	http.Redirect(w, r, authURL, http.StatusFound)
	return nil
}

// withPKCE adds an S256 code challenge (RFC 7636) to an authorization URL,
// so a stolen authorization code is useless without the verifier that
// stays in our encrypted cookie.
func withPKCE(authURL, verifier string) (string, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return "", fmt.Errorf("parse authorization URL: %w", err)
	}
	sum := sha256.Sum256([]byte(verifier))
	q := u.Query()
	q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
	q.Set("code_challenge_method", "S256")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// callback finishes a login: it checks and consumes the state, exchanges
// the code, fetches the profile, upserts the user by (provider, subject)
// and starts a session. Apple calls it with a form POST, others with GET.
func (s *Service) callback(w http.ResponseWriter, r *http.Request) error {
	if err := s.limiter.allow(r, "login", s.cfg.RateLimit.Login); err != nil {
		return err
	}
	p, ok := s.providers[r.PathValue("provider")]
	if !ok {
		return ErrUnknownProvider
	}
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			return fmt.Errorf("parse %s callback form: %v: %w", p.info.Name, err, ErrBadRequest)
		}
		params = r.PostForm
	}
	st, err := s.takeState(r.Context(), w, r, p, params.Get("state"))
	if err != nil {
		return err
	}
	if e := params.Get("error"); e != "" {
		// The user declined, or the provider refused; its words are
		// untrusted input, logged only as a short code.
		return fmt.Errorf("%s refused the login (%.40q): %w", p.info.Name, e, ErrProvider)
	}
	gu, err := s.exchange(p, st, params.Get("code"))
	if err != nil {
		return err
	}
	name := displayName(gu.Name, gu.NickName, gu.FirstName+" "+gu.LastName, gu.Email)
	if p.formPost {
		// Apple sends the name once, at the first authorization; later
		// logins would otherwise overwrite it with the email's local part.
		if n := appleName(params.Get("user")); n != "" {
			name = n
		} else if old, err := s.users.GetByIdentity(r.Context(), p.info.Name, gu.UserID); err == nil {
			name = old.DisplayName
		}
	}
	u, err := s.upsertIdentity(r.Context(), p.info.Name, gu.UserID, name, gu.Email)
	if err != nil {
		return err
	}
	_, t, err := s.startSession(r.Context(), u)
	if err != nil {
		return err
	}
	s.setSessionCookies(w, t)
	s.log.Info("signed in", "provider", p.info.Name, "user", u.ID)
	// 303 turns Apple's POST into a GET of the landing page.
	http.Redirect(w, r, st.ReturnTo, http.StatusSeeOther)
	return nil
}

// exchange trades the code for the provider's tokens and fetches the
// profile. goth asserts on the shape of provider answers in places (an ID
// token without "exp" panics in openidConnect); a provider's bad answer
// must fail one login, not the request goroutine, hence the recover.
func (s *Service) exchange(p *provider, st oauthState, code string) (gu goth.User, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%s login: provider answer crashed goth: %v: %w", p.info.Name, v, ErrProvider)
		}
	}()
	if code == "" {
		return goth.User{}, fmt.Errorf("%s callback without code: %w", p.info.Name, ErrProvider)
	}
	sess, err := p.goth.UnmarshalSession(st.Session)
	if err != nil {
		return goth.User{}, fmt.Errorf("%s session: %v: %w", p.info.Name, err, ErrInvalidState)
	}
	vals := url.Values{"code": {code}}
	if st.Verifier != "" {
		vals.Set("code_verifier", st.Verifier)
	}
	if _, err := sess.Authorize(p.goth, vals); err != nil {
		return goth.User{}, fmt.Errorf("%s token exchange: %v: %w", p.info.Name, err, ErrProvider)
	}
	gu, err = p.goth.FetchUser(sess)
	if err != nil {
		return goth.User{}, fmt.Errorf("%s profile: %v: %w", p.info.Name, err, ErrProvider)
	}
	if gu.UserID == "" {
		return goth.User{}, fmt.Errorf("%s profile without a subject: %w", p.info.Name, ErrProvider)
	}
	return gu, nil
}

// upsertIdentity creates or refreshes the account of a provider identity.
func (s *Service) upsertIdentity(ctx context.Context, provider, subject, name, email string) (storage.User, error) {
	if len(subject) > 256 || len(email) > 320 {
		return storage.User{}, fmt.Errorf("%s identity too long: %w", provider, ErrProvider)
	}
	u, err := s.users.Upsert(ctx, storage.User{Provider: provider, Subject: subject, DisplayName: name,
		Email: email, Role: RoleBidder})
	if err != nil {
		return storage.User{}, fmt.Errorf("upsert %s user: %w", provider, storageErr(err))
	}
	return u, nil
}

// appleName reads the name Apple posts (as JSON in the "user" field) on a
// user's first authorization only; later logins keep the stored name.
func appleName(raw string) string {
	if raw == "" || len(raw) > 4096 {
		return ""
	}
	var u struct {
		Name struct {
			FirstName string `json:"firstName"`
			LastName  string `json:"lastName"`
		} `json:"name"`
	}
	if json.Unmarshal([]byte(raw), &u) != nil {
		return ""
	}
	n := displayName(u.Name.FirstName + " " + u.Name.LastName)
	if n == "user" {
		return ""
	}
	return n
}
