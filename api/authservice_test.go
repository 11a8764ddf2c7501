package api

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bidcast/bidcast/auth"
	"github.com/bidcast/bidcast/storage"
)

// TestAuthServiceAnswersInTheAPIsTerms: no credentials is the anonymous
// caller, bad ones are ErrUnauthenticated, a ban of record outruns the
// token (403 banned), and the view rule is auth's.
func TestAuthServiceAnswersInTheAPIsTerms(t *testing.T) {
	db, rdb := newDB(t), newRedis(t)
	ctx := context.Background()
	const base = "http://127.0.0.1:8080"
	svc, err := auth.NewService(auth.Config{PublicURL: base, JWTKey: []byte("0123456789abcdef0123456789abcdef-api-test"),
		RedisPrefix: "test:api:" + rand.Text() + ":"}, storage.NewUsers(db), rdb, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	users := storage.NewUsers(db)
	u, err := users.Upsert(ctx, storage.User{Provider: "local", Subject: "bidder-" + rand.Text(), DisplayName: "Bea"})
	if err != nil {
		t.Fatal(err)
	}
	link, err := svc.IssueLoginLink(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(svc.Routes())
	t.Cleanup(ts.Close)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(ts.URL + strings.TrimPrefix(link, base))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var access string
	for _, ck := range resp.Cookies() {
		if ck.Name == auth.AccessCookie {
			access = ck.Value
		}
	}
	if access == "" {
		t.Fatalf("no session from the login link (status %d)", resp.StatusCode)
	}
	a := AuthService{Svc: svc}
	call := func(bearer string) (Principal, error) {
		r := httptest.NewRequest("GET", "/api/v1/me", nil)
		if bearer != "" {
			r.Header.Set("Authorization", "Bearer "+bearer)
		}
		return a.Authenticate(r)
	}
	if p, err := call(""); err != nil || p.UserID != "" {
		t.Errorf("no credentials: %+v, %v; want the anonymous caller", p, err)
	}
	if _, err := call("junk"); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("a junk token: %v, want ErrUnauthenticated", err)
	}
	p, err := call(access)
	if err != nil || p.UserID != u.ID || p.DisplayName != "Bea" || p.Role != RoleBidder {
		t.Fatalf("the session: %+v, %v", p, err)
	}
	room := storage.Room{ID: "44444444-4444-4444-4444-444444444444", SellerID: "someone else"}
	if err := a.CanView(ctx, p, room, ""); err == nil {
		t.Error("a bidder saw a private room without a viewer token")
	}
	room.Public = true
	if err := a.CanView(ctx, p, room, ""); err != nil {
		t.Errorf("a public room: %v", err)
	}
	if err := users.Ban(ctx, u.ID, "test"); err != nil {
		t.Fatal(err)
	}
	var ae *Error
	if _, err := call(access); !errors.As(err, &ae) || ae.Code != "banned" || ae.Status != http.StatusForbidden {
		t.Errorf("a banned account's live token: %v, want 403 banned", err)
	}
}
