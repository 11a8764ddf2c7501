package scripts

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStartWaitsOutAPortHeldByAClient: the private ports lie in the
// kernel's range for outgoing connections, so a client's socket can hold
// one for a moment (it once failed a CI run: "could not bind ... Address
// already in use"). start must wait that out and bring both services up;
// a port held by another server still fails at once (see
// TestWithStopsWhatAFailedStartStarted).
func TestStartWaitsOutAPortHeldByAClient(t *testing.T) {
	c := newClone(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { // close when the client does, as a server would
				_, _ = io.Copy(io.Discard, conn)
				conn.Close()
			}()
		}
	}()
	// Outgoing connections whose own ends sit on the two ports.
	var held []net.Conn
	for _, p := range []string{"BIDCAST_PG_PORT", "BIDCAST_REDIS_PORT"} {
		local, err := net.ResolveTCPAddr("tcp", "127.0.0.1:"+c.env[p])
		if err != nil {
			t.Fatal(err)
		}
		conn, err := (&net.Dialer{LocalAddr: local}).Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatalf("hold %s: %v", p, err)
		}
		held = append(held, conn)
	}
	// Let go of each once its server has failed to bind it.
	logs := []string{filepath.Join(c.varDir, "*", "pg", "postgres.log"), filepath.Join(c.root, ".data", "redis", "redis.log")}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i, conn := range held {
			waitLogSays(logs[i], "Address already in use", 90*time.Second)
			// A reset, not a close: a closed socket's TIME_WAIT holds
			// the port for 60 s (start waits that out too, but the
			// test need not).
			_ = conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		}
	}()
	out, err := c.run("start")
	<-done
	if err != nil {
		t.Fatalf("start with both ports held by a client for a moment: %v\n%s", err, out)
	}
	for _, p := range []string{"BIDCAST_PG_PORT", "BIDCAST_REDIS_PORT"} {
		if !strings.Contains(out, "port "+c.env[p]+" is in use for now") {
			t.Fatalf("start did not meet the held %s:\n%s", p, out)
		}
		if !listening(c.env[p]) {
			t.Fatalf("%s %s does not answer after start:\n%s", p, c.env[p], out)
		}
	}
	if out, err := c.run("stop"); err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
}

// waitLogSays waits up to limit for a file matching pattern to contain what.
func waitLogSays(pattern, what string, limit time.Duration) {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil && strings.Contains(string(b), what) {
				return
			}
		}
	}
}
