package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/bidcast/bidcast/signaling"
)

// wsMsg is a server message as the tests read it.
type wsMsg struct {
	Type string          `json:"type"`
	ID   string          `json:"id"`
	Seq  int64           `json:"seq"`
	Data json.RawMessage `json:"data"`
}

// field reads a top-level string or number of the message's data.
func (m wsMsg) field(name string) string {
	var d map[string]any
	_ = json.Unmarshal(m.Data, &d)
	switch v := d[name].(type) {
	case string:
		return v
	case float64:
		return fmt.Sprintf("%.0f", v)
	case map[string]any, []any:
		b, _ := json.Marshal(v)
		return string(b)
	}
	return ""
}

// wsClient is one signed-in user's WebSocket, with every message it gets
// in a channel.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
	in   chan wsMsg
	n    atomic.Int64
	// held are messages read while waiting for a reply, for the next
	// await (only the test's goroutine uses it).
	held []wsMsg
}

// httpUser is a browser-like HTTP client with its own cookies.
type httpUser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newHTTPUser(t *testing.T, base string) *httpUser {
	jar, _ := cookiejar.New(nil)
	return &httpUser{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

// do sends a same-origin request and decodes a JSON answer into out.
func (u *httpUser) do(method, path, body string, out any) int {
	u.t.Helper()
	req, _ := http.NewRequest(method, u.base+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", u.base)
	resp, err := u.c.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// dial opens the user's WebSocket with their session cookie.
func (u *httpUser) dial() *wsClient {
	u.t.Helper()
	return u.dialTap(nil)
}

// dialTap is dial with tap called on every incoming message before it is
// queued for await, so a test can keep a ledger without racing await.
func (u *httpUser) dialTap(tap func(wsMsg)) *wsClient {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	base, _ := url.Parse(u.base)
	hdr := http.Header{}
	for _, c := range u.c.Jar.Cookies(base) {
		hdr.Add("Cookie", c.Name+"="+c.Value)
	}
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(u.base, "http")+"/ws",
		&websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		u.t.Fatalf("dial /ws: %v", err)
	}
	c := &wsClient{t: u.t, conn: conn, in: make(chan wsMsg, 1024)}
	go func() {
		defer close(c.in)
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				return
			}
			var m wsMsg
			if json.Unmarshal(b, &m) != nil {
				continue
			}
			// A room.events list is tapped as sent (so the protocol
			// test sees it) and then, like every client, read event by
			// event.
			msgs := []wsMsg{m}
			if m.Type == signaling.TypeRoomEvents {
				if tap != nil {
					tap(m)
				}
				var d struct {
					Events []wsMsg `json:"events"`
				}
				if json.Unmarshal(m.Data, &d) != nil {
					continue
				}
				msgs = d.Events
			}
			for _, m := range msgs {
				if tap != nil {
					tap(m)
				}
				c.in <- m
			}
		}
	}()
	u.t.Cleanup(func() { conn.Close(websocket.StatusNormalClosure, "") })
	return c
}

// send writes a request and returns its correlation ID.
func (c *wsClient) send(typ string, data any) string {
	c.t.Helper()
	id := fmt.Sprintf("r%d", c.n.Add(1))
	b, _ := json.Marshal(map[string]any{"v": 1, "type": typ, "id": id, "data": data})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("send %s: %v", typ, err)
	}
	return id
}

// await returns the first message that satisfies ok, within 10 s; the
// messages before it are dropped.
func (c *wsClient) await(what string, ok func(wsMsg) bool) wsMsg {
	c.t.Helper()
	return c.next(what, ok, false)
}

// awaitReply returns the reply to request id, within 10 s. Room events
// may come before a reply (a bid's outcome before its ack, lot.started
// before the ack to lot.start); they are kept for the next await, not
// dropped. Snapshots and other messages before the reply are dropped, as
// tests that join again expect a fresh snapshot.
func (c *wsClient) awaitReply(what, id string) wsMsg {
	c.t.Helper()
	return c.next(what, func(m wsMsg) bool { return m.ID == id }, true)
}

// next returns the first message, kept ones first, that satisfies ok; the
// others are dropped, or, if keep is set, the room events among them are
// kept in order.
func (c *wsClient) next(what string, ok func(wsMsg) bool, keep bool) wsMsg {
	c.t.Helper()
	var kept []wsMsg
	defer func() { c.held = append(kept, c.held...) }()
	for len(c.held) > 0 {
		m := c.held[0]
		c.held = c.held[1:]
		if ok(m) {
			return m
		}
		if keep && isRoomEvent(m) {
			kept = append(kept, m)
		}
	}
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m, open := <-c.in:
			if !open {
				c.t.Fatalf("connection closed while waiting for %s", what)
			}
			if ok(m) {
				return m
			}
			if keep && isRoomEvent(m) {
				kept = append(kept, m)
			}
		case <-deadline:
			c.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// isRoomEvent reports whether m is a room event (it has a seq), other
// than a snapshot.
func isRoomEvent(m wsMsg) bool { return m.Seq > 0 && m.Type != "room.snapshot" }

// request sends and waits for its ack; an error answer fails the test.
func (c *wsClient) request(typ string, data any) wsMsg {
	c.t.Helper()
	id := c.send(typ, data)
	m := c.awaitReply(typ+" reply", id)
	if m.Type == "error" {
		c.t.Fatalf("%s: %s", typ, m.Data)
	}
	return m
}

// requestErr sends and returns the error code of the answer ("" for ack).
func (c *wsClient) requestErr(typ string, data any) string {
	c.t.Helper()
	id := c.send(typ, data)
	m := c.awaitReply(typ+" reply", id)
	if m.Type == "error" {
		return m.field("code")
	}
	return ""
}
