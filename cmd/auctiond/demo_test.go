package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bidcast/bidcast/demo"
	"github.com/bidcast/bidcast/storage"
)

// TestDemoRoomBroadcastsAndRunsALot starts the server with DEMO on: the
// demo room is live, a lot runs in it, its video reaches the SFU from the
// built-in broadcaster, and a guest can bid on it over the WebSocket.
func TestDemoRoomBroadcastsAndRunsALot(t *testing.T) {
	if testing.Short() {
		t.Skip("makes a test pattern with ffmpeg and publishes it over WebRTC")
	}
	cfg := testConfigWith(t, "", map[string]string{"DEMO": "true", "BID_POLL_INTERVAL": "100ms"})
	base, app := startApp(t, cfg)
	room := app.svc.demo.Show.RoomID
	r, err := storage.NewRooms(app.db).Get(context.Background(), room)
	if err != nil || r.Status != storage.RoomLive || r.Title != demo.DefaultTitle {
		t.Fatalf("demo room = %+v, %v", r, err)
	}

	var lotID string
	deadline := time.Now().Add(20 * time.Second)
	for lotID == "" && time.Now().Before(deadline) {
		if lot, ok, _ := storage.NewLots(app.db).Active(context.Background(), room); ok && lot.State == "live" {
			lotID = lot.ID
		}
		time.Sleep(100 * time.Millisecond)
	}
	if lotID == "" {
		t.Fatal("no demo lot went live within 20 s")
	}
	// The broadcast reaches the SFU (the clip is made with ffmpeg first).
	want := `bidcast_sfu_publisher_packets_total{kind="video",layer="",room="` + room + `"}`
	for !metricAbove(t, "http://"+app.adminLn.Addr().String(), want, 30) {
		if time.Now().After(deadline.Add(40 * time.Second)) {
			t.Fatal("the demo broadcast sent no video to the SFU")
		}
		time.Sleep(300 * time.Millisecond)
	}
	// A guest bids (DEMO lets guests bid).
	g := newHTTPUser(t, base)
	if code := g.do("POST", "/auth/guest", `{"display_name":"demo guest"}`, nil); code != 200 {
		t.Fatalf("guest sign-in: %d", code)
	}
	ws := g.dial()
	ws.request("join", map[string]any{"room_id": room})
	ws.request("bid.place", map[string]any{"lot_id": lotID, "amount": 10_000, "currency": "KRW", "bid_id": "demo-1"})
	ws.await("the guest's bid accepted", func(m wsMsg) bool {
		return m.Type == "bid.accepted" && strings.Contains(m.field("bid"), `"demo-1"`)
	})
}

// metricAbove reports whether the metric line named by series is above min
// on the server whose /metrics is at base (its admin listener).
func metricAbove(t *testing.T, base, series string, min float64) bool {
	_, body := get(t, base+"/metrics")
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			var f float64
			if _, err := fmt.Sscan(v, &f); err == nil && f > min {
				return true
			}
		}
	}
	return false
}
