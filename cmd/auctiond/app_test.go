package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bidcast/bidcast/internal/ops"
	"github.com/bidcast/bidcast/internal/testenv"
	"github.com/bidcast/bidcast/storage/storagetest"
)

func testConfig(t *testing.T, redisURL string) Config {
	t.Helper()
	return testConfigWith(t, redisURL, nil)
}

// testConfigWith is testConfig with extra environment variables.
func testConfigWith(t *testing.T, redisURL string, extra map[string]string) Config {
	t.Helper()
	dbURL := storagetest.URL(t)
	mediaDir := t.TempDir()
	getenv := func(k string) string {
		if v, ok := extra[k]; ok {
			return v
		}
		switch k {
		case "DATABASE_URL":
			return dbURL
		case "HTTP_ADDR":
			return "127.0.0.1:0"
		case "ADMIN_ADDR", "SFU_UDP_ADDR":
			return "127.0.0.1:0"
		case "SFU_TCP_ADDR":
			return "off"
		case "ROOM_LEASE_TTL":
			// The 1.2 s default is for takeover speed in production; under
			// -race on a loaded 2-core machine a process stalls longer now
			// and then, and a lapsed lease restarts its room mid-test. The
			// takeover tests set their own.
			return "5s"
		case "SFU_LOOPBACK_CANDIDATES":
			return "true"
		case "PUBLIC_URL":
			return "http://127.0.0.1:8080"
		case "MEDIA_DIR":
			return mediaDir
		case "AUTH_RATE_LIMIT_DISABLED":
			// Sign-ins from loopback by every test of the package share one
			// budget in the shared Redis; auth's rate limits have tests of
			// their own.
			return "true"
		case "REDIS_URL":
			if redisURL != "" {
				return redisURL
			}
		}
		return testenv.Lookup(k)
	}
	cfg, err := parseServeConfig(nil, getenv)
	if err != nil {
		t.Fatal(err)
	}
	// Every test server is reached from loopback: the per-address caps
	// of each count under keys of its own.
	prefix := "bidcast:test:limits:" + rand.Text() + ":"
	cfg.WS.LimitPrefix, cfg.Media.KeyPrefix = prefix+"ws:", prefix+"media:"
	return cfg
}

// startApp runs the wired server in-process and returns its base URL.
func startApp(t *testing.T, cfg Config) (string, *App) {
	t.Helper()
	return startAppLogged(t, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// startAppLogged is startApp with the server logging to log.
func startAppLogged(t *testing.T, cfg Config, log *slog.Logger) (string, *App) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	app, err := newApp(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		app.Close()
	})
	return "http://" + app.httpLn.Addr().String(), app
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServerEndpoints(t *testing.T) {
	base, app := startApp(t, testConfig(t, ""))
	tests := []struct {
		path   string
		status int
		want   string
	}{
		{"/healthz", 200, "ok"},
		{"/readyz", 200, `"status":"ready"`},
		// Metrics name rooms, private ones too: not on the public listener.
		{"/metrics", 404, ""},
		{"/", 200, "Bidcast"},
		{"/debug/pprof/", 404, ""},
	}
	for _, tc := range tests {
		status, body := get(t, base+tc.path)
		if status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s = %d %.80q, want %d containing %q", tc.path, status, body, tc.status, tc.want)
		}
	}
	// pprof and metrics live only on the admin listener.
	admin := "http://" + app.adminLn.Addr().String()
	if status, _ := get(t, admin+"/debug/pprof/"); status != 200 {
		t.Errorf("admin pprof = %d, want 200", status)
	}
	for _, want := range []string{"process_resident_memory_bytes", "go_goroutines"} {
		if status, body := get(t, admin+"/metrics"); status != 200 || !strings.Contains(body, want) {
			t.Errorf("admin metrics = %d without %s", status, want)
		}
	}
}

// TestMetricsToken also serves /metrics on the public listener, to
// requests bearing METRICS_TOKEN only.
func TestMetricsToken(t *testing.T) {
	const token = "metrics-secret-0123456789"
	base, _ := startApp(t, testConfigWith(t, "", map[string]string{"METRICS_TOKEN": token}))
	for _, tc := range []struct {
		auth string
		want int
	}{{"", 401}, {"Bearer wrong-token-0123456789", 401}, {token, 401}, {"Bearer " + token, 200}} {
		req, _ := http.NewRequest("GET", base+"/metrics", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || (tc.want == 200 && !strings.Contains(string(body), "go_goroutines")) {
			t.Errorf("GET /metrics with %q = %d, want %d", tc.auth, resp.StatusCode, tc.want)
		}
	}
}

func TestReadyzFollowsRedis(t *testing.T) {
	rs := testenv.StartRedis(t)
	base, _ := startApp(t, testConfig(t, rs.URL()))
	waitReady := func(want int) map[string]any {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			status, body := get(t, base+"/readyz")
			if status == want || time.Now().After(deadline) {
				if status != want {
					t.Fatalf("readyz = %d %s, want %d", status, body, want)
				}
				var m map[string]any
				_ = json.Unmarshal([]byte(body), &m)
				return m
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitReady(200)
	rs.Stop()
	if m := waitReady(503); m["redis"] != "down" || m["postgres"] != "ok" {
		t.Fatalf("readyz body with Redis down = %v", m)
	}
	rs.Start()
	waitReady(200)
}

func TestPortInUseIsUsageError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := testConfig(t, "")
	cfg.HTTPAddr = ln.Addr().String()
	_, err = newApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("newApp on a busy port = %v, want a usage error about the address", err)
	}
}

func TestWHIPAndWHEPAreWiredToRooms(t *testing.T) {
	cfg := testConfig(t, "")
	base, app := startApp(t, cfg)
	res, err := ops.CreateRoom(context.Background(), app.db, base, "wired", "whip-seller", ops.RoomOptions{Public: true})
	if err != nil {
		t.Fatal(err)
	}
	post := func(url, token, body string) int {
		req, _ := http.NewRequest("POST", url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/sdp")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tests := []struct {
		name, url, token, body string
		want                   int
	}{
		{"whip without token", res.WHIPURL, "", "v=0", 401},
		{"whip wrong token", res.WHIPURL, "pt_wrong", "v=0", 403},
		{"whip unknown room", base + "/whip/00000000-0000-0000-0000-000000000000", res.PublishToken, "v=0", 404},
		{"whip bad sdp", res.WHIPURL, res.PublishToken, "not sdp", 400},
		{"whep unknown room", base + "/whep/00000000-0000-0000-0000-000000000000", "", "v=0", 404},
	}
	for _, tc := range tests {
		if got := post(tc.url, tc.token, tc.body); got != tc.want {
			t.Errorf("%s: POST = %d, want %d", tc.name, got, tc.want)
		}
	}
	if status, body := get(t, "http://"+app.adminLn.Addr().String()+"/metrics"); status != 200 || !strings.Contains(body, "go_goroutines") {
		t.Errorf("metrics after SFU wiring = %d", status)
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
