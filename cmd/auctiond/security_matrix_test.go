package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/bidcast/bidcast/api"
	"github.com/bidcast/bidcast/signaling"
)

// TestAccessTableCoversEveryRoute: every route the server serves has a row
// in docs/SECURITY.md and every row names a served route, so a new route
// cannot ship without someone deciding who may call it.
func TestAccessTableCoversEveryRoute(t *testing.T) {
	e := newSecurityEnv(t)
	served := servedRoutes(e.app)
	documented := map[string]bool{}
	for _, r := range readAccessTable(t, httpTableMarker) {
		documented[r.subject] = true
		if !slices.Contains(served, r.subject) {
			t.Errorf("docs/SECURITY.md has a row for %q, which the server does not serve", r.subject)
		}
	}
	for _, rt := range served {
		if !documented[rt] {
			t.Errorf("route %q has no row in the access table of docs/SECURITY.md", rt)
		}
	}
	for _, r := range readAccessTable(t, wsTableMarker) {
		documented[r.subject] = true
	}
	for _, typ := range signaling.ClientTypes() {
		if !documented[typ] {
			t.Errorf("WebSocket message %q has no row in the access table of docs/SECURITY.md", typ)
		}
	}
}

// TestAccessTableHTTP asks every documented route as every role, each
// against fresh data, and compares the answer with the table.
func TestAccessTableHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("signs in six roles for every route")
	}
	e := newSecurityEnv(t)
	for _, row := range readAccessTable(t, httpTableMarker) {
		name := row.subject
		if row.scenario != "" {
			name += " (" + row.scenario + ")"
		}
		got := make([]string, len(roles))
		ok := true
		for i, role := range roles {
			f := e.newFixture(false)
			u := e.signIn(role, f)
			method, path, _ := strings.Cut(row.subject, " ")
			hdr := http.Header{}
			switch {
			case row.scenario == "publish token":
				hdr.Set("Authorization", "Bearer "+f.publishToken)
			case row.scenario == "viewer token" && strings.HasPrefix(path, "/whep/"):
				hdr.Set("Authorization", "Bearer "+f.viewerToken)
			case row.scenario == "viewer token":
				hdr.Set(api.ViewerTokenHeader, f.viewerToken)
			}
			status := e.call(u, method, row.expand(path, f), hdr)
			got[i] = fmt.Sprint(status)
			if !answerMatches(row.want[i], status) {
				ok = false
			}
		}
		if !ok {
			t.Errorf("%s: want %v, got %v", name, row.want, got)
		}
	}
}

// expand fills a route's wildcards with the fixture's ids (the private
// room's for the "private room" scenario) or with names of nothing.
func (r accessRow) expand(path string, f fixture) string {
	room, lot := f.roomID, f.lotID
	if r.scenario == "private room" || r.scenario == "viewer token" {
		room, lot = f.privateRoomID, f.privateLotID
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if !strings.HasPrefix(s, "{") {
			continue
		}
		prev := ""
		if i > 0 {
			prev = segs[i-1]
		}
		switch {
		case s == "{id}" && prev == "items":
			segs[i] = f.itemID
		case s == "{id}" && prev == "rooms", s == "{room}":
			segs[i] = room
		case s == "{id}" && prev == "lots":
			segs[i] = lot
		case s == "{id}" && prev == "webhooks":
			segs[i] = f.webhookID
		case s == "{id}" && prev == "sellers":
			segs[i] = f.sellerID
		case s == "{provider}":
			segs[i] = "github"
		case s == "{token}":
			segs[i] = "lnk_" + strings.Repeat("0", 43)
		case s == "{key...}":
			segs[i] = "nothing/here.jpg"
		default: // {media_id}, {session}: a name of nothing
			segs[i] = newUUID()
		}
	}
	return strings.Join(segs, "/")
}

// call makes one same-origin request with a body that fits the route's
// kind (an empty JSON object, or a tiny SDP offer for WHIP/WHEP) and
// returns the status; hdr is added to the request.
func (e *securityEnv) call(u *httpUser, method, path string, hdr http.Header) int {
	e.t.Helper()
	body, ctype := "", ""
	switch {
	case method == "POST" && (strings.HasPrefix(path, "/whip/") || strings.HasPrefix(path, "/whep/")):
		body, ctype = "v=0\r\n", "application/sdp"
	case method == "POST" || method == "PUT" || method == "PATCH":
		body, ctype = "{}", "application/json"
	}
	req, _ := http.NewRequest(method, e.base+path, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", e.base)
	c := *u.c
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// answerMatches reads a table cell: a status number must match exactly;
// "deny" is 401, 403 or 404 (what a caller may not see answers 404);
// "ok" is anything that passed authorization: not 401/403/404, not 5xx.
func answerMatches(cell string, status int) bool {
	denied := status == 401 || status == 403 || status == 404
	switch cell {
	case "ok":
		return !denied && status < 500
	case "deny":
		return denied
	}
	return cell == fmt.Sprint(status)
}

// TestAccessTableWebSocket sends every documented message as every role,
// joined to a live room (or the private one), and compares the answer with
// the table: "ok" is an ack, the documented reply, or an error about the
// request's content or the room's state; "deny" is unauthorized,
// forbidden, banned, not_joined or room_not_found; "401" is a refused
// upgrade.
func TestAccessTableWebSocket(t *testing.T) {
	if testing.Short() {
		t.Skip("signs in six roles for every message")
	}
	e := newSecurityEnv(t)
	for _, row := range readAccessTable(t, wsTableMarker) {
		f := e.newFixture(true)
		room, lot, token := f.roomID, f.lotID, ""
		switch row.scenario {
		case "private room":
			room, lot = f.privateRoomID, f.privateLotID
		case "viewer token":
			room, lot, token = f.privateRoomID, f.privateLotID, f.viewerToken
		}
		got := make([]string, len(roles))
		ok := true
		// The room's seller goes last: a command of theirs may end a lot.
		order := []int{0, 1, 2, 3, 5, 4}
		for _, i := range order {
			u := e.signIn(roles[i], f)
			got[i] = e.wsAnswer(u, row.subject, room, lot, token)
			if got[i] != row.want[i] {
				ok = false
			}
		}
		if !ok {
			name := row.subject
			if row.scenario != "" {
				name += " (" + row.scenario + ")"
			}
			t.Errorf("%s: want %v, got %v", name, row.want, got)
		}
	}
}

// wsAnswer connects as u, joins room (with the viewer token, if any)
// unless the message is join itself, sends typ and classifies the answer.
func (e *securityEnv) wsAnswer(u *httpUser, typ, room, lot, token string) string {
	e.t.Helper()
	if status := upgradeStatus(e, u); status != http.StatusSwitchingProtocols {
		return fmt.Sprint(status)
	}
	c := u.dial()
	defer c.conn.Close(websocket.StatusNormalClosure, "")
	join := map[string]any{"room_id": room}
	if token != "" {
		join["viewer_token"] = token
	}
	if typ != "join" {
		c.requestErr("join", join) // a refused join shows in the answer below
	}
	data := messageData(typ, room, lot)
	if typ == "join" {
		data = join
	}
	code := c.requestErr(typ, data)
	switch code {
	case "":
		return "ok"
	case "unauthorized", "forbidden", "banned", "not_joined", "room_not_found":
		return "deny"
	}
	return "ok"
}

// upgradeStatus tries the upgrade with u's cookies and returns the status.
func upgradeStatus(e *securityEnv, u *httpUser) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hdr := http.Header{}
	req, _ := http.NewRequest("GET", e.base, nil)
	for _, c := range u.c.Jar.Cookies(req.URL) {
		hdr.Add("Cookie", c.Name+"="+c.Value)
	}
	ws, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.base, "http")+"/ws",
		&websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		if resp != nil {
			return resp.StatusCode
		}
		e.t.Fatalf("dial /ws: %v", err)
	}
	ws.Close(websocket.StatusNormalClosure, "")
	return http.StatusSwitchingProtocols
}

// messageData is a plausible body for each client message type.
func messageData(typ, room, lot string) map[string]any {
	switch typ {
	case "join":
		return map[string]any{"room_id": room}
	case "chat.send":
		return map[string]any{"text": "hello"}
	case "bid.place", "bid.max":
		return map[string]any{"lot_id": lot, "amount": 50_000, "currency": "KRW", "bid_id": newUUID()}
	case "lot.start", "lot.relist":
		return map[string]any{"lot_id": lot}
	case "mod.mute":
		return map[string]any{"user_id": newUUID(), "seconds": 60}
	case "mod.ban":
		return map[string]any{"user_id": newUUID()}
	case "mod.slow":
		return map[string]any{"seconds": 0}
	case "chat.delete":
		return map[string]any{"message_id": strings.Repeat("a", 32)}
	case "time.sync":
		return map[string]any{"client_time": time.Now().UnixMilli()}
	case "media.publish", "media.subscribe":
		return map[string]any{"sdp": "v=0\r\n"}
	case "media.answer", "media.candidate", "media.close":
		return map[string]any{"session_id": newUUID(), "sdp": "v=0\r\n", "candidate": "{}"}
	}
	return map[string]any{}
}
