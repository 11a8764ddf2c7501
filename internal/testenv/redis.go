package testenv

import (
	"fmt"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// RedisServer is a private redis-server that a test may stop and start again
// on the same port, to see how code copes with Redis going away.
type RedisServer struct {
	t    testing.TB
	dir  string
	port int
	cmd  *exec.Cmd
}

// StartRedis runs a private redis-server on a free loopback port, with its
// data in a temporary directory, and stops it when the test ends.
func StartRedis(t testing.TB) *RedisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server not found: run `make services`, which installs it")
	}
	s := &RedisServer{t: t, dir: t.TempDir(), port: freePort(t)}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// URL is the server's redis:// address.
func (s *RedisServer) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", s.port) }

// Start launches the server and waits until it accepts connections.
func (s *RedisServer) Start() {
	s.t.Helper()
	s.cmd = exec.Command("redis-server", "--bind", "127.0.0.1", "--port", strconv.Itoa(s.port),
		"--dir", s.dir, "--appendonly", "yes", "--save", "", "--daemonize", "no")
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	if waitDial(fmt.Sprintf("127.0.0.1:%d", s.port), 10*time.Second) {
		return
	}
	s.t.Fatalf("redis-server on port %d did not come up", s.port)
}

// Stop kills the server at once, as a crash would.
func (s *RedisServer) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}
