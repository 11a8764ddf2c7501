package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/bidcast/bidcast/storage"
)

// TestUpgradeRejections: a refused upgrade gets an HTTP error with a JSON
// code and creates nothing (no guest account for a bad Origin).
func TestUpgradeRejections(t *testing.T) {
	e := newEnv(t)
	_, srv := e.gateway(nil)
	_, offSrv := e.gatewayWith(nil, func(d *Deps) { d.Auth = DevGuestAuthenticator{Users: e.users} })
	tests := []struct {
		name   string
		url    string
		origin string
		status int
		code   string
	}{
		{"foreign origin", wsURL(srv, "mallory"), "https://evil.example", http.StatusForbidden, CodeOriginRejected},
		{"allowed origin pattern", wsURL(srv, "shopper"), "https://shop.example", http.StatusSwitchingProtocols, ""},
		{"no credentials", wsURL(srv, ""), "", http.StatusUnauthorized, CodeUnauthorized},
		{"forged guest name", wsURL(srv, "x%00y"), "", http.StatusUnauthorized, CodeUnauthorized},
		{"guests disabled", wsURL(offSrv, "dave"), "", http.StatusUnauthorized, CodeUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			ws, resp, err := websocket.Dial(ctx, tc.url, &websocket.DialOptions{HTTPHeader: h})
			if tc.code == "" {
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				ws.Close(websocket.StatusNormalClosure, "")
				return
			}
			if err == nil {
				ws.CloseNow()
				t.Fatal("upgrade succeeded")
			}
			if resp == nil || resp.StatusCode != tc.status {
				t.Fatalf("response = %v, want %d", resp, tc.status)
			}
			var body ErrorData
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Code != tc.code {
				t.Fatalf("body = %+v, %v; want code %s", body, err, tc.code)
			}
		})
	}
	// A plain GET (no upgrade) gets the same JSON error shape, not text.
	resp, err := http.Get(strings.Replace(wsURL(srv, "plain"), "ws://", "http://", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body ErrorData
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusUpgradeRequired ||
		body.Code != CodeBadRequest {
		t.Fatalf("plain GET /ws: status %d, body %+v, %v; want 426 bad_request in JSON", resp.StatusCode, body, err)
	}
	// The refused origin created no account.
	var n int
	if err := e.db.Pool.QueryRow(context.Background(),
		`SELECT count(*) FROM users WHERE provider = 'guest' AND subject = 'mallory'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatal("a refused upgrade created a guest account")
	}
}

// TestBadMessages: every bad message gets an error naming the request and
// changes nothing; the connection stays usable (except past the hard size
// limit, which closes it with 1009).
func TestBadMessages(t *testing.T) {
	e := newEnv(t)
	_, srv := e.gateway(nil)
	scheduled := e.newRoom(storage.RoomScheduled)
	c := dial(t, srv, "bob")

	c.sendRaw([]byte(`{"v":1,"type":"chat.send",`))
	c.expectError("", CodeBadRequest)
	c.sendRaw([]byte(`[1,2]`))
	c.expectError("", CodeBadRequest)
	c.sendRaw([]byte(`{"v":2,"type":"join","id":"a"}`))
	c.expectError("a", CodeUnsupported)
	c.sendRaw([]byte(`{"v":1,"type":"bid.steal","id":"b"}`))
	c.expectError("b", CodeUnknownType)
	c.sendRaw([]byte(`{"v":1,"type":"join","id":"c","data":"room"}`))
	c.expectError("c", CodeBadRequest)
	c.sendRaw([]byte(`{"v":1,"type":"chat.send","id":"d","data":{"text":"` + strings.Repeat("a", 5000) + `"}}`))
	c.expectError("d", CodeTooLarge)

	id := c.send(TypeChatSend, ChatSendData{Text: "hello"})
	c.expectError(id, CodeNotJoined)
	id = c.send(TypeBidPlace, BidData{LotID: newUUID(), Amount: 1, Currency: "KRW", BidID: "x"})
	c.expectError(id, CodeNotJoined)
	id = c.send(TypeJoin, JoinData{RoomID: newUUID()})
	c.expectError(id, CodeRoomNotFound)
	id = c.send(TypeJoin, JoinData{RoomID: "not-a-uuid"})
	c.expectError(id, CodeRoomNotFound)
	id = c.send(TypeJoin, JoinData{RoomID: scheduled.ID})
	c.expectError(id, CodeRoomNotLive)
	id = c.send(TypeJoin, JoinData{RoomID: e.room.ID, ResumeFrom: -1})
	c.expectError(id, CodeBadRequest)

	c.join(e.room.ID)
	for _, text := range []string{"", "   ", "line\nbreak", "bell\a", strings.Repeat("é", 501)} {
		id = c.send(TypeChatSend, ChatSendData{Text: text})
		c.expectError(id, CodeInvalidChat)
	}
	id = c.send(TypeBidPlace, map[string]any{"lot_id": newUUID(), "amount": 1.5, "currency": "KRW", "bid_id": "f"})
	c.expectError(id, CodeBadRequest)
	id = c.send(TypeMediaSubscribe, MediaData{SDP: "v=0"})
	c.expectError(id, CodeMediaUnavailable)
	id = c.send(TypeMediaICE, nil)
	c.expectError(id, CodeMediaUnavailable)
	id = c.send(TypeLotStart, LotData{LotID: newUUID()})
	c.expectError(id, CodeForbidden)

	// Nothing above reached the room: no events, no chat, no bids.
	ctx := context.Background()
	if seq, err := e.events.LastSeq(ctx, e.room.ID); err != nil || seq != 0 {
		t.Fatalf("room event seq = %d, %v; want 0", seq, err)
	}
	if n, err := e.rdb.XLen(ctx, ChatKey(e.room.ID)).Result(); err != nil || n != 0 {
		t.Fatalf("chat length = %d, %v", n, err)
	}
	if len(e.cmds.list()) != 0 {
		t.Fatalf("commands reached the room actor: %+v", e.cmds.list())
	}

	// Past the hard limit the library closes the connection: 1009.
	c.sendRaw([]byte(`{"v":1,"type":"media.publish","data":{"sdp":"` + strings.Repeat("a", 70<<10) + `"}}`))
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, _, err := c.ws.Read(ctx)
	if st := websocket.CloseStatus(err); st != websocket.StatusMessageTooBig {
		t.Fatalf("oversized frame: %v, want close 1009", err)
	}
}

func TestSellerCommandsAndModeration(t *testing.T) {
	e := newEnv(t)
	_, srv := e.gateway(nil)
	mod := NewRedisModeration(e.rdb)
	seller, bob := dial(t, srv, "seller"), dial(t, srv, "bob")
	if snap := seller.join(e.room.ID); !snap.You.Seller {
		t.Fatalf("seller not recognized: %+v", snap.You)
	}
	bob.join(e.room.ID)
	bobID := e.user("bob").ID
	ctx := context.Background()

	lot := newUUID()
	id := seller.send(TypeLotStart, LotData{LotID: lot})
	if env := seller.expect(TypeAck); env.ID != id {
		t.Fatalf("ack id %s", env.ID)
	}
	id = seller.send(TypeModMute, ModerationData{UserID: bobID, Seconds: 0})
	seller.expectError(id, CodeBadRequest)
	e.cmds.err = Errorf(CodeConflict, "no lot is live")
	id = seller.send(TypeLotPause, nil)
	seller.expectError(id, CodeConflict)
	e.cmds.err = nil
	got := e.cmds.list()
	if len(got) != 2 || got[0] != (Command{Type: TypeLotStart, LotID: lot}) || got[1].Type != TypeLotPause {
		t.Fatalf("commands = %+v", got)
	}

	// What the Commander writes, the gateway enforces.
	if err := mod.Mute(ctx, e.room.ID, bobID, time.Minute); err != nil {
		t.Fatal(err)
	}
	id = bob.send(TypeChatSend, ChatSendData{Text: "hi"})
	bob.expectError(id, CodeMuted)
	if err := mod.Unmute(ctx, e.room.ID, bobID); err != nil {
		t.Fatal(err)
	}
	if err := mod.SetSlow(ctx, e.room.ID, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	bob.send(TypeChatSend, ChatSendData{Text: "first"})
	msgID := ""
	for range 2 {
		if env := bob.next(); env.Type == TypeAck {
			msgID = decodeAs[AckData](t, env).MessageID
		}
	}
	id = bob.send(TypeChatSend, ChatSendData{Text: "second"})
	bob.expectError(id, CodeSlowMode)
	if ok, err := mod.DeleteChat(ctx, e.room.ID, msgID); err != nil || !ok {
		t.Fatalf("DeleteChat = %v, %v", ok, err)
	}
	if n, _ := e.rdb.XLen(ctx, ChatKey(e.room.ID)).Result(); n != 0 {
		t.Fatalf("deleted message still in recent chat (%d)", n)
	}
	if err := mod.Ban(ctx, e.room.ID, bobID); err != nil {
		t.Fatal(err)
	}
	// The ban reaches Bob's open socket at once: it is closed, and a new
	// one cannot join.
	bob.expectClosed(StatusAccessRevoked)
	bob = dial(t, srv, "bob")
	id = bob.send(TypeJoin, JoinData{RoomID: e.room.ID})
	bob.expectError(id, CodeBanned)
	if banned, err := mod.IsBanned(ctx, e.room.ID, bobID); err != nil || !banned {
		t.Fatalf("IsBanned = %v, %v", banned, err)
	}
}

// TestBannedBidderRefusedAtIngress: a ban recorded in Redis refuses the
// user's next bid even on a socket the ban has not closed yet (the access
// notice still on its way), and the refused bid is not sequenced.
func TestBannedBidderRefusedAtIngress(t *testing.T) {
	e := newEnv(t)
	_, srv := e.gateway(nil)
	bob := dial(t, srv, "bob")
	bob.join(e.room.ID)
	ctx := context.Background()
	// Written as RedisModeration.Ban writes it, without its notice.
	if err := e.rdb.SAdd(ctx, BannedKey(e.room.ID), e.user("bob").ID).Err(); err != nil {
		t.Fatal(err)
	}
	id := bob.send(TypeBidPlace, BidData{LotID: newUUID(), Amount: 100, Currency: "KRW", BidID: "after-ban"})
	bob.expectError(id, CodeBanned)
	if n, err := e.rdb.Exists(ctx, "bidcast:{"+e.room.ID+"}:seq").Result(); err != nil || n != 0 {
		t.Fatalf("the refused bid was sequenced (%d, %v)", n, err)
	}
}

func TestRateLimits(t *testing.T) {
	e := newEnv(t)
	_, srv := e.gateway(func(c *Config) { c.BidRate, c.BidBurst = 0.001, 2 })
	c := dial(t, srv, "bob")
	c.join(e.room.ID)
	lot := newUUID()
	for i := range 3 {
		id := c.send(TypeBidPlace, BidData{LotID: lot, Amount: int64(100 + i), Currency: "KRW",
			BidID: "b" + string(rune('0'+i))})
		env := c.next()
		if i < 2 && env.Type != TypeAck {
			t.Fatalf("bid %d: %s %s", i, env.Type, env.Data)
		}
		if i == 2 {
			var d ErrorData
			_ = json.Unmarshal(env.Data, &d)
			if env.Type != TypeError || d.Code != CodeRateLimited || d.RefID != id {
				t.Fatalf("third bid: %s %s", env.Type, env.Data)
			}
		}
	}
}

func TestShutdownClosesGoingAway(t *testing.T) {
	e := newEnv(t)
	g, srv := e.gateway(nil)
	c := dial(t, srv, "bob")
	c.join(e.room.ID)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() { _, _, err := c.ws.Read(ctx); errc <- err }()
	if err := g.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("client saw %v, want going away", err)
	}
	if s := g.Stats(); s.Connections != 0 || s.Rooms != 0 {
		t.Fatalf("after shutdown: %+v", s)
	}
	// A second Shutdown (the test cleanup's) is harmless.
	if err := g.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}
