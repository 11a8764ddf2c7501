package loadtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"testing"
	"time"
)

// freePort returns a loopback port free for network ("tcp" or "udp").
func freePort(t *testing.T, network string) string {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().String()
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startSFUServer runs a bare SFU in-process until the test ends.
func startSFUServer(ctx context.Context, t *testing.T) string {
	t.Helper()
	addr := freePort(t, "tcp")
	srvCtx, stopSrv := context.WithCancel(ctx)
	srvDone := make(chan error, 1)
	go func() {
		srvDone <- RunSFUServer(srvCtx, SFUServerConfig{Addr: addr, ICEUDPAddr: freePort(t, "udp"),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	}()
	t.Cleanup(func() { stopSrv(); <-srvDone })
	for i := 0; ; i++ {
		if resp, err := http.Get("http://" + addr + "/debug/sfu/stats"); err == nil {
			resp.Body.Close()
			return addr
		}
		if i > 100 {
			t.Fatal("sfuserver did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRunViewersInProcess publishes H.264 and Opus over WHIP to a bare
// in-process SFU and measures two WHEP viewers end to end.
func TestRunViewersInProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("publishes media for seconds")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	addr := startSFUServer(ctx, t)
	rep, err := RunViewers(ctx, ViewersConfig{BaseURL: "http://" + addr, Room: "v-test", PublishToken: "x",
		Viewers: 2, RampRate: 10, Duration: 2 * time.Second, ServerPID: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	v := rep.Viewers
	if v.Connected != 2 || v.NoKeyframe != 0 || v.Latency.N == 0 || v.BitrateKbps < 500 || v.AudioKbps <= 0 {
		t.Fatalf("viewers: %+v errors %v", v, rep.Errors)
	}
	// Every packet reaches the viewer's socket before its reader: the
	// arrival latency is measured and never above the read latency (one
	// millisecond of slack, for a wall clock stepped meanwhile).
	if runtime.GOOS == "linux" && (v.Arrival.N == 0 || v.Arrival.P50 > v.Latency.P50+1 ||
		v.Arrival.P99 > v.Latency.P99+1) {
		t.Fatalf("arrival %+v against latency %+v", v.Arrival, v.Latency)
	}
	if rep.Server == nil || rep.Server.Source != fmt.Sprintf("/proc/%d", os.Getpid()) || len(rep.Series) == 0 {
		t.Fatalf("server sampling: %+v, %d points", rep.Server, len(rep.Series))
	}
}

// TestBrowsersCollectorOnPlayerPage runs one headless Chromium tab on the
// built-in player against a bare in-process SFU (no room page, no /ws):
// the collector must find the page's RTCPeerConnection by itself and report
// jitter-buffer and processing delays from getStats() deltas.
func TestBrowsersCollectorOnPlayerPage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		t.Skip("no /usr/bin/chromium (apt-get install -y chromium)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	addr := startSFUServer(ctx, t)
	rep, err := RunBrowsers(ctx, BrowsersConfig{BaseURL: "http://" + addr, Room: RoomInfo{RoomID: "tab-test", PublishToken: "x"},
		Tabs: 1, Ramp: 5, Duration: 5 * time.Second, Page: "builtin"})
	if err != nil {
		t.Fatal(err)
	}
	b := rep.Browsers
	if b.Playing != 1 || b.Failed != 0 || b.FirstFrame.N != 1 {
		t.Fatalf("tab not playing: %+v errors %v", b, rep.Errors)
	}
	if b.JitterBuffer.N == 0 || b.Processing.N == 0 || b.Decode.N == 0 || b.FPS <= 0 {
		t.Fatalf("no WebRTC figures: %+v", b)
	}
	// Processing delay contains the jitter buffer delay; it is reported on
	// its own, never as their sum.
	if b.Processing.P50 < b.JitterBuffer.P50 {
		t.Fatalf("processing %v below jitter buffer %v", b.Processing.P50, b.JitterBuffer.P50)
	}
	if len(rep.Series) == 0 || rep.Generator.CPUCores <= 0 {
		t.Fatalf("no series or generator CPU: %d points, %+v", len(rep.Series), rep.Generator)
	}
}
