package signaling

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/bidcast/bidcast/internal/clientip"
	"github.com/bidcast/bidcast/storage"
)

// limitedGateway is a gateway whose guests named "seller" are sellers, so
// the tests can show that the seller is never counted against an address.
func (e *env) limitedGateway(tune func(*Config)) *httptest.Server {
	e.t.Helper()
	dev := DevGuestAuthenticator{Users: e.users, Enabled: true}
	_, srv := e.gatewayWith(tune, func(d *Deps) {
		d.Auth = AuthenticatorFunc(func(r *http.Request) (Identity, error) {
			id, err := dev.Authenticate(r)
			if err == nil && id.DisplayName == "seller" {
				id.Role = storage.RoleSeller
			}
			return id, err
		})
	})
	return srv
}

// tryDial opens a WebSocket, or returns the refusal's status, body and
// Retry-After.
func tryDial(t *testing.T, srv *httptest.Server, guest string, header http.Header) (*client, int, ErrorData, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, wsURL(srv, guest), &websocket.DialOptions{HTTPHeader: header})
	if err == nil {
		t.Cleanup(func() { ws.CloseNow() })
		return &client{t: t, ws: ws}, http.StatusSwitchingProtocols, ErrorData{}, ""
	}
	if resp == nil {
		t.Fatalf("dial as %s: %v", guest, err)
	}
	var body ErrorData
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return nil, resp.StatusCode, body, resp.Header.Get("Retry-After")
}

func mustRefuse(t *testing.T, srv *httptest.Server, guest string, header http.Header) {
	t.Helper()
	c, status, body, retry := tryDial(t, srv, guest, header)
	if c != nil || status != http.StatusTooManyRequests || body.Code != CodeTooManyConnections {
		t.Fatalf("dial as %s: %d %+v, want 429 %s", guest, status, body, CodeTooManyConnections)
	}
	if s, err := strconv.Atoi(retry); err != nil || s < 1 {
		t.Fatalf("Retry-After %q", retry)
	}
}

// TestConnectionsPerUser: the N+1th WebSocket of one user is refused while
// another user still connects, and closing one frees its slot.
func TestConnectionsPerUser(t *testing.T) {
	e := newEnv(t)
	srv := e.limitedGateway(func(c *Config) { c.ConnsPerUser, c.ConnsPerAddr = 3, 100 })
	var alice []*client
	for range 3 {
		alice = append(alice, dial(t, srv, "alice"))
	}
	mustRefuse(t, srv, "alice", nil)
	dial(t, srv, "bob")
	// Closing one of alice's connections frees its slot (no leak), as soon
	// as the server has seen it go.
	alice[0].ws.Close(websocket.StatusNormalClosure, "")
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, status, _, _ := tryDial(t, srv, "alice", nil)
		if c != nil {
			break
		}
		if status != http.StatusTooManyRequests || time.Now().After(deadline) {
			t.Fatalf("alice after closing a connection: %d", status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	mustRefuse(t, srv, "alice", nil)
}

// TestConnectionsPerAddress: one address holds at most N connections over
// all its users, but the seller is not counted, so viewers on the
// seller's network can never lock the seller out.
func TestConnectionsPerAddress(t *testing.T) {
	e := newEnv(t)
	srv := e.limitedGateway(func(c *Config) { c.ConnsPerUser, c.ConnsPerAddr = 10, 3 })
	for _, g := range []string{"v1", "v2", "v3"} {
		dial(t, srv, g)
	}
	mustRefuse(t, srv, "v4", nil)
	dial(t, srv, "seller")
	dial(t, srv, "seller")
}

// TestConnectionsPerAddressBehindProxy counts clients by the address a
// trusted proxy reports, and ignores what untrusted clients claim.
func TestConnectionsPerAddressBehindProxy(t *testing.T) {
	e := newEnv(t)
	via := func(ip string) http.Header { return http.Header{"X-Forwarded-For": {"6.6.6.6, " + ip}} }
	loopback, err := clientip.Parse("127.0.0.1, ::1")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("trusted", func(t *testing.T) {
		srv := e.limitedGateway(func(c *Config) {
			c.ConnsPerUser, c.ConnsPerAddr = 10, 1
			c.ClientIP = loopback
		})
		dial2 := func(guest, ip string) {
			if c, status, body, _ := tryDial(t, srv, guest, via(ip)); c == nil {
				t.Fatalf("%s from %s: %d %+v", guest, ip, status, body)
			}
		}
		dial2("p1", "198.51.100.1")
		dial2("p2", "198.51.100.2")
		// The forged left-most entry changes nothing: same client.
		mustRefuse(t, srv, "p3", http.Header{"X-Forwarded-For": {"7.7.7.7, 198.51.100.1"}})
	})
	t.Run("untrusted", func(t *testing.T) {
		srv := e.limitedGateway(func(c *Config) { c.ConnsPerUser, c.ConnsPerAddr = 10, 1 })
		if c, status, _, _ := tryDial(t, srv, "u1", via("198.51.100.1")); c == nil {
			t.Fatalf("first: %d", status)
		}
		mustRefuse(t, srv, "u2", via("198.51.100.2"))
	})
}

// TestConnectionLimitsOff: negative caps turn the limits off (load tests).
func TestConnectionLimitsOff(t *testing.T) {
	e := newEnv(t)
	srv := e.limitedGateway(func(c *Config) { c.ConnsPerUser, c.ConnsPerAddr = -1, -1 })
	for range 20 {
		dial(t, srv, "loadtester")
	}
}
