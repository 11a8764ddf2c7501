package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/bidcast/bidcast/auth"
	"github.com/bidcast/bidcast/internal/cli"
	"github.com/bidcast/bidcast/internal/ops"
	"github.com/bidcast/bidcast/signaling"
	"github.com/bidcast/bidcast/storage"
)

// privateShow is a wired server with a live private room of one lot.
type privateShow struct {
	t      *testing.T
	base   string
	cfg    Config
	app    *App
	room   ops.Room
	seller *httpUser
}

func newPrivateShow(t *testing.T) *privateShow {
	t.Helper()
	cfg := testConfigWith(t, "", map[string]string{"BID_POLL_INTERVAL": "100ms",
		"AUTH_RATE_LIMIT_DISABLED": "true"})
	base, app := startApp(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	room, err := ops.CreateRoom(ctx, app.db, base, "Private view", fmt.Sprintf("vip-%d", time.Now().UnixNano()), ops.RoomOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if room.LotIDs, err = ops.AddLots(ctx, app.db, room.RoomID, room.SellerID, ops.LotSpec{Count: 1, Currency: "KRW",
		Opening: 10_000, DurationMS: time.Minute.Milliseconds(), Policy: "soft-close"}); err != nil {
		t.Fatal(err)
	}
	s := &privateShow{t: t, base: base, cfg: cfg, app: app, room: room}
	s.seller = s.signIn(room.SellerID)
	if code := s.seller.do("POST", "/api/v1/rooms/"+room.RoomID+"/live", "", nil); code != http.StatusOK {
		t.Fatalf("go live: %d", code)
	}
	return s
}

// signIn signs a stored user in through a login link.
func (s *privateShow) signIn(userID string) *httpUser {
	s.t.Helper()
	link, err := s.app.svc.auth.IssueLoginLink(context.Background(), userID)
	if err != nil {
		s.t.Fatal(err)
	}
	u := newHTTPUser(s.t, s.base)
	if code := u.do("GET", strings.TrimPrefix(link, s.cfg.PublicURL), "", nil); code != http.StatusOK {
		s.t.Fatalf("login link: %d", code)
	}
	return u
}

// user makes an account with a role and signs it in.
func (s *privateShow) user(name, role string) (*httpUser, string) {
	s.t.Helper()
	ctx := context.Background()
	u, err := storage.NewUsers(s.app.db).Upsert(ctx, storage.User{Provider: "local", Subject: name, DisplayName: name})
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := auth.ChangeRole(ctx, storage.NewUsers(s.app.db), u.ID, role); err != nil {
		s.t.Fatal(err)
	}
	return s.signIn(u.ID), u.ID
}

// guest signs a new guest in.
func (s *privateShow) guest(name string) *httpUser {
	s.t.Helper()
	u := newHTTPUser(s.t, s.base)
	if code := u.do("POST", "/auth/guest", `{"display_name":"`+name+`"}`, nil); code != http.StatusOK {
		s.t.Fatalf("guest sign-in: %d", code)
	}
	return u
}

// viewerToken is an invitation the seller issues.
func (s *privateShow) viewerToken() string {
	s.t.Helper()
	var out struct{ Token string }
	if code := s.seller.do("POST", "/auth/rooms/"+s.room.RoomID+"/viewer-token", "", &out); code != 200 || out.Token == "" {
		s.t.Fatalf("viewer token: %d", code)
	}
	return out.Token
}

// accessToken is the user's session token, as a bearer.
func accessToken(u *httpUser) string {
	base, _ := url.Parse(u.base)
	for _, c := range u.c.Jar.Cookies(base) {
		if c.Name == auth.AccessCookie {
			return c.Value
		}
	}
	return ""
}

// apiGet reads an API path as u (nil: anonymous) with an optional viewer
// token and returns the status.
func (s *privateShow) apiGet(u *httpUser, path, token string) int {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.base+"/api/v1"+path, nil)
	if token != "" {
		req.Header.Set("X-Viewer-Token", token)
	}
	c := http.DefaultClient
	if u != nil {
		c = u.c
	}
	resp, err := c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// rawWS is a WebSocket whose close status a test can check.
type rawWS struct {
	t        *testing.T
	conn     *websocket.Conn
	in       chan wsMsg
	closeErr error // set before in is closed
	n        int
}

func dialRaw(u *httpUser) *rawWS {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	base, _ := url.Parse(u.base)
	hdr := http.Header{}
	for _, c := range u.c.Jar.Cookies(base) {
		hdr.Add("Cookie", c.Name+"="+c.Value)
	}
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(u.base, "http")+"/ws", &websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		u.t.Fatalf("dial /ws: %v", err)
	}
	conn.SetReadLimit(1 << 20)
	c := &rawWS{t: u.t, conn: conn, in: make(chan wsMsg, 1024)}
	go func() {
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				c.closeErr = err
				close(c.in)
				return
			}
			var m wsMsg
			if json.Unmarshal(b, &m) == nil {
				c.in <- m
			}
		}
	}()
	u.t.Cleanup(func() { conn.Close(websocket.StatusNormalClosure, "") })
	return c
}

// request sends a message and returns its answer (ack, error or other).
func (c *rawWS) request(typ string, data any) wsMsg {
	c.t.Helper()
	c.n++
	id := fmt.Sprintf("q%d", c.n)
	b, _ := json.Marshal(map[string]any{"v": 1, "type": typ, "id": id, "data": data})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	deadline := time.After(10 * time.Second)
	if err := c.conn.Write(ctx, websocket.MessageText, b); err != nil {
		// The server may have closed the socket first (a right revoked
		// while the test was about to send): then the read side has seen
		// the close, and the answer is "closed".
		for {
			select {
			case _, ok := <-c.in:
				if !ok {
					return wsMsg{Type: "closed"}
				}
			case <-deadline:
				c.t.Fatalf("send %s: %v", typ, err)
			}
		}
	}
	for {
		select {
		case m, ok := <-c.in:
			if !ok {
				return wsMsg{Type: "closed"}
			}
			if m.ID == id {
				return m
			}
		case <-deadline:
			c.t.Fatalf("no answer to %s", typ)
		}
	}
}

// errCode sends and returns the error code of the answer ("" for success).
func (c *rawWS) errCode(typ string, data any) string {
	c.t.Helper()
	if m := c.request(typ, data); m.Type == "error" {
		return m.field("code")
	}
	return ""
}

// closedWith waits for the server to close the socket with status.
func (c *rawWS) closedWith(status websocket.StatusCode) {
	c.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-c.in:
			if !ok {
				if got := websocket.CloseStatus(c.closeErr); got != status {
					c.t.Fatalf("closed with %v, want %d", c.closeErr, status)
				}
				return
			}
		case <-deadline:
			c.t.Fatalf("socket not closed with %d within 10 s", status)
		}
	}
}

// TestPrivateRoomOnEveryPath: a private live room is refused to a guest
// and to another user on join, media, WHEP, the listings and every API
// read, and open to its seller, an admin and a viewer-token holder, whose
// WHEP session receives the seller's video.
func TestPrivateRoomOnEveryPath(t *testing.T) {
	s := newPrivateShow(t)
	room, lot := s.room.RoomID, s.room.LotIDs[0]
	publishVP8(t, s.room.WHIPURL, s.room.PublishToken)
	token := s.viewerToken()
	guest := s.guest("nosy")
	other, _ := s.user(fmt.Sprintf("olga-%d", time.Now().UnixNano()), storage.RoleSeller)
	admin, _ := s.user(fmt.Sprintf("ada-%d", time.Now().UnixNano()), storage.RoleAdmin)
	invited := s.guest("invited")

	// WebSocket: join and media.
	for name, u := range map[string]*httpUser{"guest": guest, "another seller": other} {
		ws := dialRaw(u)
		if code := ws.errCode("join", map[string]any{"room_id": room}); code != "forbidden" {
			t.Errorf("%s joined the private room: %q", name, code)
		}
		if code := ws.errCode("join", map[string]any{"room_id": room, "viewer_token": "forged"}); code != "forbidden" {
			t.Errorf("%s joined with a forged viewer token: %q", name, code)
		}
		if code := ws.errCode("media.subscribe", map[string]any{"sdp": "v=0"}); code != "not_joined" {
			t.Errorf("%s media.subscribe: %q", name, code)
		}
	}
	for name, c := range map[string]struct {
		u     *httpUser
		token string
	}{"seller": {s.seller, ""}, "admin": {admin, ""}, "viewer token holder": {invited, token}} {
		ws := dialRaw(c.u)
		if m := ws.request("join", map[string]any{"room_id": room, "viewer_token": c.token}); m.Type == "error" {
			t.Fatalf("%s join: %s", name, m.Data)
		}
		v := newViewer(t)
		m := ws.request("media.subscribe", map[string]any{"sdp": gatheredOffer(t, v.pc)})
		if m.Type != "media.answer" {
			t.Fatalf("%s media.subscribe: %s %s", name, m.Type, m.Data)
		}
		v.answer(t, m.field("sdp"))
		v.waitVideo(t, name+" over the WebSocket")
	}

	// WHEP.
	whep := s.base + "/whep/" + room
	for name, tc := range map[string]struct {
		token string
		want  int
	}{
		"no token": {"", http.StatusUnauthorized}, "forged": {"x.y.z", http.StatusForbidden},
		"a guest's session":        {accessToken(guest), http.StatusForbidden},
		"another seller's session": {accessToken(other), http.StatusForbidden},
	} {
		if status, body := postSDP(t, whep, tc.token, gatheredOffer(t, newViewer(t).pc)); status != tc.want {
			t.Errorf("WHEP with %s = %d %s, want %d", name, status, body, tc.want)
		}
	}
	for name, tok := range map[string]string{"viewer token": token, "seller's session": accessToken(s.seller),
		"admin's session": accessToken(admin)} {
		v := newViewer(t)
		status, answer := postSDP(t, whep, tok, gatheredOffer(t, v.pc))
		if status != http.StatusCreated {
			t.Fatalf("WHEP with the %s = %d %s", name, status, answer)
		}
		v.answer(t, answer)
		v.waitVideo(t, "WHEP with the "+name)
	}

	// The JSON API's reads and listings.
	reads := []string{"/rooms/" + room, "/rooms/" + room + "/lots", "/rooms/" + room + "/results",
		"/lots/" + lot, "/lots/" + lot + "/bids"}
	for _, path := range reads {
		for name, tc := range map[string]struct {
			u     *httpUser
			token string
			want  int
		}{
			"anonymous": {nil, "", 404}, "guest": {guest, "", 404}, "another seller": {other, "", 404},
			"seller": {s.seller, "", 200}, "admin": {admin, "", 200}, "viewer token holder": {invited, token, 200},
		} {
			if got := s.apiGet(tc.u, path, tc.token); got != tc.want {
				t.Errorf("%s: GET %s = %d, want %d", name, path, got, tc.want)
			}
		}
	}
	for name, u := range map[string]*httpUser{"guest": guest, "another seller": other} {
		var page struct{ Items []struct{ ID string } }
		u.do("GET", "/api/v1/rooms?status=live", "", &page)
		for _, it := range page.Items {
			if it.ID == room {
				t.Errorf("the private room is listed to the %s", name)
			}
		}
	}
}

// TestRightsChangeOnOpenSockets: a seller demoted while connected loses
// lot.start on the same socket, a banned user's socket is closed and the
// account cannot reconnect, and a room made private drops the viewers who
// may no longer watch it while its seller and invited viewers stay.
func TestRightsChangeOnOpenSockets(t *testing.T) {
	s := newPrivateShow(t)
	ctx := context.Background()
	room := s.room.RoomID
	// Make the room public through the API first, as a seller would.
	setPublic := func(public bool) {
		t.Helper()
		var r map[string]any
		s.seller.do("GET", "/api/v1/rooms/"+room, "", &r)
		req, _ := http.NewRequest("PATCH", s.base+"/api/v1/rooms/"+room, strings.NewReader(fmt.Sprintf(`{"public":%v}`, public)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("If-Match", fmt.Sprintf(`"v%.0f"`, r["version"]))
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Origin", s.base)
		resp, err := s.seller.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("PATCH room public=%v: %d", public, resp.StatusCode)
		}
	}
	setPublic(true)

	sellerWS := dialRaw(s.seller)
	if m := sellerWS.request("join", map[string]any{"room_id": room}); m.Type == "error" {
		t.Fatalf("seller join: %s", m.Data)
	}
	token := s.viewerToken()
	bystander, invited := dialRaw(s.guest("bystander")), dialRaw(s.guest("invitee"))
	if m := bystander.request("join", map[string]any{"room_id": room}); m.Type == "error" {
		t.Fatalf("join the public room: %s", m.Data)
	}
	if m := invited.request("join", map[string]any{"room_id": room, "viewer_token": token}); m.Type == "error" {
		t.Fatalf("join with a token: %s", m.Data)
	}

	// The room becomes private: the bystander is dropped, the others stay.
	setPublic(false)
	bystander.closedWith(signaling.StatusAccessRevoked)
	for name, ws := range map[string]*rawWS{"seller": sellerWS, "invited viewer": invited} {
		if m := ws.request("time.sync", map[string]any{"client_time": 1}); m.Type == "closed" || m.Type == "error" {
			t.Fatalf("%s lost the room when it went private: %s %s", name, m.Type, m.Data)
		}
	}

	// A bidder is banned from the site while connected.
	bidder, bidderID := s.user(fmt.Sprintf("bo-%d", time.Now().UnixNano()), storage.RoleBidder)
	bws := dialRaw(bidder)
	if m := bws.request("join", map[string]any{"room_id": room, "viewer_token": token}); m.Type == "error" {
		t.Fatalf("bidder join: %s", m.Data)
	}
	users := storage.NewUsers(s.app.db)
	if _, _, err := ops.ChangeUser(ctx, users, "ban", bidderID, "shill bidding"); err != nil {
		t.Fatal(err)
	}
	if err := cli.AnnounceAccess(ctx, s.cfg.RedisURL, bidderID); err != nil {
		t.Fatal(err)
	}
	bws.closedWith(signaling.StatusAccessRevoked)
	var apiErr struct{ Error struct{ Code string } }
	if code := bidder.do("GET", "/api/v1/me/bids", "", &apiErr); code != http.StatusForbidden || apiErr.Error.Code != "banned" {
		t.Fatalf("a banned user's API call = %d %+v", code, apiErr)
	}
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, resp, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(s.base, "http")+"/ws",
		&websocket.DialOptions{HTTPHeader: http.Header{"Cookie": {auth.AccessCookie + "=" + accessToken(bidder)}}}); err == nil ||
		resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a banned user reconnected: %v", err)
	}

	// The seller is demoted while connected: lot.start never reaches the
	// room, on this socket or a new one.
	if _, _, err := ops.ChangeUser(ctx, users, "demote", s.room.SellerID, ""); err != nil {
		t.Fatal(err)
	}
	if err := cli.AnnounceAccess(ctx, s.cfg.RedisURL, s.room.SellerID); err != nil {
		t.Fatal(err)
	}
	if code := sellerWS.errCode("lot.start", map[string]any{"lot_id": s.room.LotIDs[0]}); code != "forbidden" && code != "" {
		t.Fatalf("demoted seller's lot.start: %q", code)
	}
	sellerWS.closedWith(signaling.StatusRightsChanged)
	if code := s.seller.do("POST", "/api/v1/rooms", `{"title":"another show"}`, nil); code != http.StatusForbidden {
		t.Fatalf("a demoted seller created a room with their old session: %d", code)
	}
	again := dialRaw(s.seller)
	if code := again.errCode("join", map[string]any{"room_id": room}); code != "forbidden" {
		t.Fatalf("demoted seller joins their private room: %q", code)
	}
	lot, err := storage.NewLots(s.app.db).Get(ctx, s.room.LotIDs[0])
	if err != nil || lot.State != "pending" {
		t.Fatalf("the lot after a demoted seller's lot.start: %+v, %v", lot.State, err)
	}
}
