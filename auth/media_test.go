package auth

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/bidcast/bidcast/internal/clientip"
	"github.com/bidcast/bidcast/sfu"
	"github.com/bidcast/bidcast/storage"
)

// TestMediaGrants holds who may publish and watch over WHIP and WHEP: the
// publish token until the show ends, anyone in a public room, a viewer
// token in a private one, and the SFU's errors for each refusal.
func TestMediaGrants(t *testing.T) {
	e := newEnv(t, true, nil)
	ctx := ctxT(t)
	u, err := e.users.Upsert(ctx, storage.User{Provider: "test", Subject: "media-seller", DisplayName: "S"})
	if err != nil {
		t.Fatal(err)
	}
	if u, err = ChangeRole(ctx, e.users, u.ID, RoleSeller); err != nil {
		t.Fatal(err)
	}
	seller := e.svc.principalOf(u)
	public, pubToken, err := e.rooms.Create(ctx, storage.NewRoom{SellerID: u.ID, Title: "open", Public: true})
	if err != nil {
		t.Fatal(err)
	}
	private, _, err := e.rooms.Create(ctx, storage.NewRoom{SellerID: u.ID, Title: "vip"})
	if err != nil {
		t.Fatal(err)
	}
	ended, endedToken, err := e.rooms.Create(ctx, storage.NewRoom{SellerID: u.ID, Title: "over", Public: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.rooms.SetStatus(ctx, ended.ID, storage.RoomEnded); err != nil {
		t.Fatal(err)
	}
	vt, err := e.svc.IssueViewerToken(seller, RoomOf(private))
	if err != nil {
		t.Fatal(err)
	}
	const unknown = "33333333-3333-3333-3333-333333333333"
	g := e.svc.MediaGrants()
	for _, tc := range []struct {
		name    string
		publish bool
		room    string
		token   string
		want    error
	}{
		{"publish with the token", true, public.ID, pubToken, nil},
		{"publish without a token", true, public.ID, "", sfu.ErrUnauthorized},
		{"publish with another token", true, public.ID, endedToken, sfu.ErrForbidden},
		{"publish after the show", true, ended.ID, endedToken, sfu.ErrForbidden},
		{"publish to no room", true, unknown, pubToken, sfu.ErrRoomNotFound},
		{"watch a public room", false, public.ID, "", nil},
		{"watch a private room with its viewer token", false, private.ID, vt, nil},
		{"watch a private room without a token", false, private.ID, "", sfu.ErrUnauthorized},
		{"watch a private room with a bad token", false, private.ID, "junk", sfu.ErrForbidden},
		{"watch an ended show", false, ended.ID, "", sfu.ErrRoomNotFound},
		{"watch no room", false, unknown, "", sfu.ErrRoomNotFound},
	} {
		var err error
		if tc.publish {
			err = g.AuthorizePublish(ctx, tc.room, tc.token)
		} else {
			err = g.AuthorizeView(ctx, tc.room, tc.token)
		}
		if (tc.want == nil) != (err == nil) || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestMediaAdmission counts offers per address and viewers per address:
// the offer over the rate and the viewer over the cap get a LimitError,
// publishers take no viewer slot, and a released slot is free again.
func TestMediaAdmission(t *testing.T) {
	e := newEnv(t, false, nil)
	// A fixed clock keeps every offer in one rate window.
	now := time.Now()
	m := NewMediaAdmission(MediaLimits{ClientIP: clientip.Resolver{}, OffersPerMin: 4, ViewersPerAddr: 1,
		KeyPrefix: e.cfg.RedisPrefix + "media:", Now: func() time.Time { return now }}, e.rdb, e.svc, slog.New(slog.DiscardHandler))
	t.Cleanup(m.Close)
	r := httptest.NewRequest("POST", "/whep/room", nil)
	r.RemoteAddr = "192.0.2.7:4000"
	release, err := m.Admit(r, "room", false)
	if err != nil || release == nil {
		t.Fatalf("first viewer: %v", err)
	}
	var limit *sfu.LimitError
	if _, err := m.Admit(r, "room", false); !errors.As(err, &limit) || limit.RetryAfter <= 0 {
		t.Fatalf("second viewer from the address: %v, want a LimitError", err)
	}
	if rel, err := m.Admit(r, "room", true); err != nil || rel != nil {
		t.Fatalf("publisher from the same address: %v (release %v)", err, rel != nil)
	}
	release()
	if release, err = m.Admit(r, "room", false); err != nil {
		t.Fatalf("a viewer after the first left: %v", err)
	}
	release()
	if _, err := m.Admit(r, "room", false); !errors.As(err, &limit) || limit.RetryAfter > time.Minute {
		// The fifth offer of the minute is over the rate, whatever the slots.
		t.Fatalf("fifth offer: %v, want the rate's LimitError", err)
	}
	other := httptest.NewRequest("POST", "/whep/room", nil)
	other.RemoteAddr = "198.51.100.9:4000"
	if rel, err := m.Admit(other, "room", false); err != nil {
		t.Fatalf("a viewer from another address: %v", err)
	} else {
		rel()
	}
}

// TestSessionBearer: a WHEP request without Authorization presents its
// access cookie as the bearer; an explicit bearer is left alone.
func TestSessionBearer(t *testing.T) {
	var got string
	h := SessionBearer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Authorization")
	}))
	for _, tc := range []struct{ auth, cookie, want string }{
		{"", "", ""},
		{"", "session-token", "Bearer session-token"},
		{"Bearer viewer-token", "session-token", "Bearer viewer-token"},
	} {
		r := httptest.NewRequest("POST", "/whep/room", nil)
		if tc.auth != "" {
			r.Header.Set("Authorization", tc.auth)
		}
		if tc.cookie != "" {
			r.AddCookie(&http.Cookie{Name: AccessCookie, Value: tc.cookie})
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		if got != tc.want {
			t.Errorf("Authorization %q, cookie %q: handler saw %q, want %q", tc.auth, tc.cookie, got, tc.want)
		}
	}
}
