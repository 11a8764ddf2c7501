package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/bidcast/bidcast/internal/testenv"
)

// TestRedisOutageAnswersUnavailable: with Redis down, a bid is answered
// with the protocol's "unavailable" (retry with the same bid_id), not
// "internal", which the protocol reserves for bugs.
func TestRedisOutageAnswersUnavailable(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and stops a private Redis")
	}
	rds := testenv.StartRedis(t)
	e := newShowOn(t, rds.URL(), 1, 10*time.Minute)
	e.goLive()
	lot := e.room.LotIDs[0]
	sws := e.seller.dial()
	sws.request("join", map[string]any{"room_id": e.room.RoomID})
	sws.request("lot.start", map[string]any{"lot_id": lot})
	bidder := e.guest("ann").dial()
	bidder.request("join", map[string]any{"room_id": e.room.RoomID})

	rds.Stop()
	code := bidder.requestErr("bid.place", map[string]any{"lot_id": lot, "amount": 10_000, "currency": "KRW",
		"bid_id": "outage-1"})
	rds.Start()
	if code != "unavailable" {
		t.Fatalf("bid while Redis is down: code %q, want unavailable", code)
	}
}

// TestPostgresOutageAnswersUnavailable: with Postgres down, the JSON API
// answers 503 unavailable with Retry-After and a WebSocket join answers
// "unavailable", so clients retry instead of reporting a bug.
func TestPostgresOutageAnswersUnavailable(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and crashes a private Postgres")
	}
	pg := testenv.StartPostgres(t)
	cfg := testConfigWith(t, "", map[string]string{"DATABASE_URL": pg.URL()})
	base, _ := startApp(t, cfg)
	u := newHTTPUser(t, base)
	if code := u.do("POST", "/auth/guest", `{"display_name":"pat"}`, nil); code != http.StatusOK {
		t.Fatalf("guest sign-in: status %d", code)
	}
	ws := u.dial()

	pg.Crash()
	defer pg.Start()
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	resp, err := u.c.Get(base + "/api/v1/rooms")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code := u.do("GET", "/api/v1/rooms", "", &body); code != http.StatusServiceUnavailable || body.Error.Code != "unavailable" {
		t.Fatalf("API while Postgres is down: status %d code %q, want 503 unavailable", code, body.Error.Code)
	}
	if resp.Header.Get("Retry-After") == "" {
		t.Errorf("503 without Retry-After")
	}
	if code := ws.requestErr("join", map[string]any{"room_id": "6f1d2c2e-8a51-4a55-9b0e-3d0f5a8f1b11"}); code != "unavailable" {
		t.Fatalf("join while Postgres is down: code %q, want unavailable", code)
	}
}
