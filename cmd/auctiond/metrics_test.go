package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bidcast/bidcast/demo"
	"github.com/bidcast/bidcast/internal/ops"
)

// TestMetricsDoNotNamePrivateRooms broadcasts into a private room and a
// public one: the public room's series carry its id, the private room's a
// pseudonym, so even the admin scrape never names a private show.
func TestMetricsDoNotNamePrivateRooms(t *testing.T) {
	base, app := startApp(t, testConfig(t, ""))
	ctx := context.Background()
	private, err := ops.CreateRoom(ctx, app.db, base, "private show", "metrics-seller", ops.RoomOptions{Public: false})
	if err != nil {
		t.Fatal(err)
	}
	public, err := ops.CreateRoom(ctx, app.db, base, "public show", "metrics-seller-2", ops.RoomOptions{Public: true})
	if err != nil {
		t.Fatal(err)
	}
	pctx, stop := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	for _, r := range []ops.Room{private, public} {
		go func() {
			defer func() { done <- struct{}{} }()
			_ = demo.RunPublisher(pctx, demo.PublisherConfig{WHIPURL: r.WHIPURL, Token: r.PublishToken,
				Loopback: true, Retry: 200 * time.Millisecond}, quiet())
		}()
	}
	t.Cleanup(func() { stop(); <-done; <-done })
	admin := "http://" + app.adminLn.Addr().String()
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, body := get(t, admin+"/metrics")
		pub := strings.Contains(body, `bidcast_sfu_publisher_packets_total{kind="video",layer="",room="`+public.RoomID+`"}`)
		priv := strings.Contains(body, `bidcast_sfu_publisher_packets_total{kind="video",layer="",room="private-`)
		if strings.Contains(body, private.RoomID) {
			t.Fatalf("metrics name the private room %s", private.RoomID)
		}
		if pub && priv {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no series for both rooms (public %v, private %v)", pub, priv)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
