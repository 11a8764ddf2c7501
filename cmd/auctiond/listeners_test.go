package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bidcast/bidcast/internal/ops"
	"github.com/bidcast/bidcast/sfu"
)

// TestListenersDefaultToLoopback checks that every listener's default is
// loopback, the SFU's like HTTP's and the admin one's.
func TestListenersDefaultToLoopback(t *testing.T) {
	cfg, err := parseServeConfig(nil, envOf(map[string]string{
		"DATABASE_URL": "postgres://x@127.0.0.1/db", "REDIS_URL": "redis://127.0.0.1:1/0"}))
	if err != nil {
		t.Fatal(err)
	}
	for name, addr := range map[string]string{"HTTP_ADDR": cfg.HTTPAddr, "ADMIN_ADDR": cfg.AdminAddr,
		"SFU_UDP_ADDR": cfg.SFU.ICEUDPAddr, "SFU_TCP_ADDR": cfg.SFU.ICETCPAddr} {
		if !strings.HasPrefix(addr, "127.0.0.1:") {
			t.Errorf("%s defaults to %q, not loopback", name, addr)
		}
	}
	if cfg.SFU.ICEUDPAddr != sfu.DefaultICEAddr || !cfg.SFU.LoopbackCandidates {
		t.Errorf("SFU on %q with loopback candidates %v", cfg.SFU.ICEUDPAddr, cfg.SFU.LoopbackCandidates)
	}
}

// TestStartLineListsListenersAndLoopbackSFUConnects starts the server as
// the defaults do (SFU on loopback, SFU_LOOPBACK_CANDIDATES not set): the
// start-up line names every listener with its bound address, and a
// publisher and a viewer on this machine connect through the SFU.
func TestStartLineListsListenersAndLoopbackSFUConnects(t *testing.T) {
	cfg := testConfigWith(t, "", map[string]string{"SFU_LOOPBACK_CANDIDATES": "false",
		"SFU_UDP_ADDR": "127.0.0.1:0", "SFU_TCP_ADDR": "127.0.0.1:0"})
	var buf syncBuffer
	base, app := startAppLogged(t, cfg, slog.New(slog.NewJSONHandler(&buf, nil)))
	want := map[string]string{"http": app.httpLn.Addr().String(), "admin": app.adminLn.Addr().String(),
		"sfu_udp": app.sfu.ICEUDPAddr().String(), "sfu_tcp": app.sfu.ICETCPAddr().String()}
	var up map[string]any
	for deadline := time.Now().Add(10 * time.Second); up == nil; time.Sleep(20 * time.Millisecond) {
		for _, line := range strings.Split(buf.String(), "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "bidcast is up" {
				up = m
			}
		}
		if up == nil && time.Now().After(deadline) {
			t.Fatalf("no start-up line:\n%s", buf.String())
		}
	}
	for k, v := range want {
		if up[k] != v || !strings.HasPrefix(v, "127.0.0.1:") {
			t.Errorf("start-up line %s = %v, want %s", k, up[k], v)
		}
	}

	room, err := ops.CreateRoom(context.Background(), app.db, base, "loopback", "loop-seller", ops.RoomOptions{Public: true})
	if err != nil {
		t.Fatal(err)
	}
	publishVP8(t, room.WHIPURL, room.PublishToken)
	v := newViewer(t)
	status, answer := postSDP(t, room.WHEPURL, "", gatheredOffer(t, v.pc))
	if status != http.StatusCreated {
		t.Fatalf("WHEP: %d %s", status, answer)
	}
	v.answer(t, answer)
	v.waitVideo(t, "a viewer of a loopback SFU")
}
