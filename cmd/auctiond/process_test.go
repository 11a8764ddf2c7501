package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/bidcast/bidcast/internal/ops"
	"github.com/bidcast/bidcast/internal/testenv"
	"github.com/bidcast/bidcast/storage"
	"github.com/bidcast/bidcast/storage/storagetest"
)

// TestBinarySurvivesKill runs the real binary: it serves, a room created
// through the CLI is there after kill -9 and a restart, and a bad setting ends
// it with status 2 and one line.
func TestBinarySurvivesKill(t *testing.T) {
	bin := testenv.BuildBinary(t, "github.com/bidcast/bidcast/cmd/auctiond")
	addr := testenv.FreeAddr(t)
	env := []string{
		"DATABASE_URL=" + storagetest.URL(t),
		"REDIS_URL=" + testenv.Require(t, "REDIS_URL"),
		"HTTP_ADDR=" + addr, "ADMIN_ADDR=", "PUBLIC_URL=http://" + addr,
		"SFU_UDP_ADDR=127.0.0.1:0", "SFU_TCP_ADDR=off", "MEDIA_DIR=" + t.TempDir(),
	}
	srv := testenv.StartProcess(t, bin, env, "serve")
	srv.WaitHTTP("http://"+addr+"/readyz", 30*time.Second)
	// The output is copied from a pipe: give the line a moment to arrive.
	for i := 0; i < 40 && !strings.Contains(srv.Output(), "Bidcast is running"); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(srv.Output(), "Bidcast is running: open http://"+addr+"/") {
		t.Errorf("serve did not print the URL to open; output:\n%s", srv.Output())
	}

	cmd := exec.Command(bin, "room", "create", "--title", "Kill test", "--seller", "kim", "--json")
	cmd.Env = append(cmd.Environ(), env...)
	var cliErr bytes.Buffer
	cmd.Stderr = &cliErr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("room create: %v: %s", err, cliErr.String())
	}
	// A client command prints none of the server's warnings about cookies.
	if strings.Contains(cliErr.String(), "Secure flag") || strings.Contains(cliErr.String(), "AUTH_COOKIE") {
		t.Errorf("room create printed a server-only warning:\n%s", cliErr.String())
	}
	var room ops.Room
	if err := json.Unmarshal(out, &room); err != nil {
		t.Fatal(err)
	}

	srv.Kill()
	srv.Start()
	srv.WaitHTTP("http://"+addr+"/readyz", 30*time.Second)
	db, err := storage.Open(context.Background(), storage.Config{URL: env[0][len("DATABASE_URL="):]}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got, err := storage.NewRooms(db).Get(context.Background(), room.RoomID); err != nil || got.Title != "Kill test" {
		t.Fatalf("room after restart = %+v, %v", got, err)
	}

	bad := exec.Command(bin, "serve")
	bad.Env = append(bad.Environ(), append(env, "HTTP_ADDR="+addr)...) // the port is taken
	var stderr bytes.Buffer
	bad.Stderr = &stderr
	err = bad.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Fatalf("second server on a busy port: err = %v, want exit status 2", err)
	}
	if lines := strings.Count(strings.TrimSpace(stderr.String()), "\n") + 1; lines != 1 || !strings.Contains(stderr.String(), "address already in use") {
		t.Fatalf("busy-port message = %q, want one clear line", stderr.String())
	}
}
