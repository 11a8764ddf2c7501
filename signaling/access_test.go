package signaling

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/bidcast/bidcast/internal/accessnotice"
	"github.com/bidcast/bidcast/storage"
)

// expectClosed reads until the server closes the connection and checks the
// close status; messages before the close (an error answer racing the
// revocation, room events) are skipped.
func (c *client) expectClosed(status websocket.StatusCode) {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		_, _, err := c.ws.Read(ctx)
		cancel()
		if err == nil {
			continue
		}
		if got := websocket.CloseStatus(err); got != status {
			c.t.Fatalf("connection ended with %v, want close status %d", err, status)
		}
		return
	}
	c.t.Fatalf("connection not closed with %d within 10 s", status)
}

// tokenViews is a ViewChecker with one valid viewer token per room.
type tokenViews map[string]string

func (v tokenViews) CanView(_ context.Context, id Identity, room RoomInfo, token string) error {
	if room.Public || isSellerOf(id, room) || token != "" && v[room.ID] == token {
		return nil
	}
	return Errorf(CodeForbidden, "this room is private")
}

// TestPrivateRoomNeedsViewRight: a private live room refuses join and
// media.subscribe to whoever may not watch it, and admits its seller and a
// holder of a viewer token.
func TestPrivateRoomNeedsViewRight(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	priv, _, err := e.rooms.Create(ctx, storage.NewRoom{SellerID: e.seller.ID, Title: "Private", Public: false})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.rooms.SetStatus(ctx, priv.ID, storage.RoomLive); err != nil {
		t.Fatal(err)
	}
	for _, withChecker := range []bool{false, true} {
		_, srv := e.gatewayWith(nil, func(d *Deps) {
			if withChecker {
				d.Views = tokenViews{priv.ID: "vt-good"}
			}
		})
		guest := dial(t, srv, "nosy")
		id := guest.send(TypeJoin, JoinData{RoomID: priv.ID})
		guest.expectError(id, CodeForbidden)
		id = guest.send(TypeJoin, JoinData{RoomID: priv.ID, ViewerToken: "vt-forged"})
		guest.expectError(id, CodeForbidden)

		seller := dial(t, srv, "seller")
		seller.join(priv.ID)
		if withChecker {
			invited := dial(t, srv, "invited")
			id = invited.send(TypeJoin, JoinData{RoomID: priv.ID, ViewerToken: "vt-good"})
			if env := invited.expect(TypeSnapshot); env.Type != TypeSnapshot {
				t.Fatalf("invited join: %+v", env)
			}
			if ack := invited.expect(TypeAck); ack.ID != id {
				t.Fatalf("invited join answered %+v, want the ack of %s", ack, id)
			}
		}
	}
}

// TestRoomMadePrivateDropsViewers: when a live room becomes private, the
// access notice closes the connections that may no longer watch it, on
// every node, and keeps its seller's.
func TestRoomMadePrivateDropsViewers(t *testing.T) {
	e := newEnv(t)
	_, srv := e.gateway(nil)
	_, other := e.gateway(nil)
	seller, bob, carol := dial(t, srv, "seller"), dial(t, srv, "bob"), dial(t, other, "carol")
	seller.join(e.room.ID)
	bob.join(e.room.ID)
	carol.join(e.room.ID)

	ctx := context.Background()
	room, err := e.rooms.Get(ctx, e.room.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.rooms.UpdateDetails(ctx, storage.RoomChange{ID: room.ID, Version: room.Version,
		Title: room.Title, Public: false}); err != nil {
		t.Fatal(err)
	}
	if err := accessnotice.Publish(ctx, e.rdb, accessnotice.Notice{RoomID: room.ID}); err != nil {
		t.Fatal(err)
	}
	bob.expectClosed(StatusAccessRevoked)
	carol.expectClosed(StatusAccessRevoked)
	id := seller.send(TypeChatSend, ChatSendData{Text: "still here"})
	for {
		env := seller.next()
		if env.ID == id {
			if env.Type != TypeAck {
				t.Fatalf("seller's chat after the switch: %s %s", env.Type, env.Data)
			}
			break
		}
	}
}

// stubIdentities reloads users from Postgres and refuses banned ones.
type stubIdentities struct {
	users  *storage.Users
	banned *sync.Map
}

func (s stubIdentities) LoadIdentity(ctx context.Context, userID string) (Identity, error) {
	if _, ok := s.banned.Load(userID); ok {
		return Identity{}, Errorf(CodeBanned, "your account is banned")
	}
	u, err := s.users.Get(ctx, userID)
	if errors.Is(err, storage.ErrNotFound) {
		return Identity{}, Errorf(CodeUnauthorized, "no such account")
	}
	if err != nil {
		return Identity{}, err
	}
	return Identity{UserID: u.ID, DisplayName: u.DisplayName, Role: u.Role, Guest: true, CanBid: true}, nil
}

// TestDemotedSellerLosesCommandsOnOpenSocket: a seller demoted while
// connected cannot start a lot on the same socket, and a reconnect does not
// give the room back; a user banned from the site is closed at once.
func TestDemotedSellerLosesCommandsOnOpenSocket(t *testing.T) {
	e := newEnv(t)
	var banned sync.Map
	_, srv := e.gatewayWith(nil, func(d *Deps) { d.Identities = stubIdentities{users: e.users, banned: &banned} })
	seller := dial(t, srv, "seller")
	seller.join(e.room.ID)
	ctx := context.Background()
	if _, err := e.users.SetRole(ctx, e.seller.ID, storage.RoleBidder); err != nil {
		t.Fatal(err)
	}
	if err := accessnotice.Publish(ctx, e.rdb, accessnotice.Notice{UserID: e.seller.ID}); err != nil {
		t.Fatal(err)
	}
	// Either the socket is closed before lot.start arrives, or lot.start
	// is refused; it is never passed to the room.
	seller.send(TypeLotStart, LotData{LotID: newUUID()})
	seller.expectClosed(StatusRightsChanged)
	if n := len(e.cmds.list()); n != 0 {
		t.Fatalf("a demoted seller's lot.start reached the room (%d commands)", n)
	}
	again := dial(t, srv, "seller")
	again.join(e.room.ID)
	id := again.send(TypeLotStart, LotData{LotID: newUUID()})
	again.expectError(id, CodeForbidden)

	bob := dial(t, srv, "bob")
	bob.join(e.room.ID)
	bobID := e.user("bob").ID
	banned.Store(bobID, true)
	if err := accessnotice.Publish(ctx, e.rdb, accessnotice.Notice{UserID: bobID}); err != nil {
		t.Fatal(err)
	}
	bob.expectClosed(StatusAccessRevoked)
}
