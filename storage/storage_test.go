package storage_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/bidcast/bidcast/storage"
	"github.com/bidcast/bidcast/storage/storagetest"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     storage.Config
		wantErr string
	}{
		{"ok url", storage.Config{URL: "postgres://u:p@127.0.0.1:5432/db"}, ""},
		{"ok dsn", storage.Config{URL: "host=127.0.0.1 dbname=x"}, ""},
		{"empty", storage.Config{}, "DATABASE_URL is empty"},
		{"garbage", storage.Config{URL: "postgres://u:secret@[::1"}, "does not parse"},
		{"negative timeout", storage.Config{URL: "postgres://h/db", ConnectTimeout: -1}, "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Validate() = %v, want error containing %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("error leaks the password: %v", err)
			}
		})
	}
}

func TestOpenUnreachableGivesUp(t *testing.T) {
	// Port 1 on loopback refuses at once; Open must retry, then fail clearly.
	start := time.Now()
	_, err := storage.Open(context.Background(), storage.Config{
		URL: "postgres://u:p@127.0.0.1:1/db?connect_timeout=1", ConnectTimeout: 800 * time.Millisecond,
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "unreachable after") {
		t.Fatalf("Open() = %v, want an 'unreachable after' error", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Open took %s to give up, want about the connect timeout", d)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	db := storagetest.New(t)
	from, to, err := db.Migrate(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if from != to || to < 1 {
		t.Fatalf("second Migrate went from %d to %d, want no change at the newest version", from, to)
	}
}

func TestUsersUpsertKeepsRole(t *testing.T) {
	ctx := ctxT(t)
	users := storage.NewUsers(storagetest.New(t))
	u, err := users.Upsert(ctx, storage.User{Provider: "github", Subject: "42", DisplayName: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != storage.RoleBidder || u.ID == "" {
		t.Fatalf("new user = %+v, want a bidder with an ID", u)
	}
	if _, err := users.SetRole(ctx, u.ID, storage.RoleSeller); err != nil {
		t.Fatal(err)
	}
	again, err := users.Upsert(ctx, storage.User{Provider: "github", Subject: "42", DisplayName: "Ann B", Role: storage.RoleBidder})
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != u.ID || again.Role != storage.RoleSeller || again.DisplayName != "Ann B" {
		t.Fatalf("upsert again = %+v, want same ID, role kept, name refreshed", again)
	}
	for _, id := range []string{"nope", "00000000-0000-0000-0000-000000000000"} {
		if _, err := users.Get(ctx, id); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Get(%q) = %v, want ErrNotFound", id, err)
		}
	}
	if _, err := users.Upsert(ctx, storage.User{Provider: "github", Subject: "43", DisplayName: ""}); !errors.Is(err, storage.ErrInvalid) {
		t.Errorf("empty display name: err = %v, want ErrInvalid", err)
	}
}

func newSeller(t *testing.T, db *storage.DB, name string) storage.User {
	t.Helper()
	u, err := storage.NewUsers(db).Upsert(ctxT(t), storage.User{Provider: "local", Subject: name, DisplayName: name, Role: storage.RoleSeller})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestRoomsLifecycleAndPublishToken(t *testing.T) {
	ctx := ctxT(t)
	db := storagetest.New(t)
	rooms := storage.NewRooms(db)
	seller := newSeller(t, db, "sam")

	room, token, err := rooms.Create(ctx, storage.NewRoom{SellerID: seller.ID, Title: "Vintage cameras", Public: true})
	if err != nil {
		t.Fatal(err)
	}
	if room.Status != storage.RoomScheduled || !strings.HasPrefix(token, "pt_") {
		t.Fatalf("room = %+v token %q, want scheduled with a pt_ token", room, token)
	}
	checks := []struct {
		id, token string
		ok        bool
		err       error
	}{
		{room.ID, token, true, nil},
		{room.ID, token + "x", false, nil},
		{room.ID, "", false, nil},
		{"00000000-0000-0000-0000-000000000000", token, false, storage.ErrNotFound},
		{"../../etc", token, false, storage.ErrNotFound},
	}
	for _, c := range checks {
		ok, err := rooms.CheckPublishToken(ctx, c.id, c.token)
		if ok != c.ok || !errors.Is(err, c.err) {
			t.Errorf("CheckPublishToken(%q, %q) = %v, %v; want %v, %v", c.id, c.token, ok, err, c.ok, c.err)
		}
	}
	rotated, err := rooms.RotatePublishToken(ctx, room.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := rooms.CheckPublishToken(ctx, room.ID, token); ok {
		t.Error("old token still works after rotation")
	}
	if ok, _ := rooms.CheckPublishToken(ctx, room.ID, rotated); !ok {
		t.Error("rotated token does not work")
	}

	live, err := rooms.SetStatus(ctx, room.ID, storage.RoomLive)
	if err != nil || live.StartedAt == nil || live.Version != room.Version+1 {
		t.Fatalf("go live = %+v, %v", live, err)
	}
	listed, err := rooms.ListByStatus(ctx, storage.RoomLive, 10)
	if err != nil || len(listed) != 1 || listed[0].ID != room.ID {
		t.Fatalf("live rooms = %+v, %v", listed, err)
	}
	if _, err := rooms.SetStatus(ctx, room.ID, storage.RoomEnded); err != nil {
		t.Fatal(err)
	}
	if _, err := rooms.SetStatus(ctx, room.ID, storage.RoomLive); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("reviving an ended room: err = %v, want ErrConflict", err)
	}
	if _, err := rooms.SetStatus(ctx, room.ID, "bogus"); err == nil {
		t.Fatal("unknown status accepted")
	}
}
