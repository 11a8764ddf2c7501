package testenv

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Coturn is a private TURN server (Debian's coturn) on loopback.
type Coturn struct {
	// Addr is its 127.0.0.1:port, for UDP and TCP alike.
	Addr string
}

// StartCoturn runs turnserver on a free loopback port with the time-limited
// credential scheme (use-auth-secret) and secret, relaying only to loopback
// peers, and stops it when the test ends; its log is shown if the test
// failed. It fails the test when coturn is not installed: `make test`
// installs it.
func StartCoturn(t testing.TB, secret string) *Coturn {
	t.Helper()
	bin, err := exec.LookPath("turnserver")
	if err != nil {
		t.Fatalf("coturn is not installed (scripts/services.sh install coturn, or make test): %v", err)
	}
	port := freePort(t)
	// A relay port range of its own, so parallel tests rarely meet.
	minPort := 20000 + rand.IntN(300)*100
	dir := t.TempDir()
	out := &syncBuffer{}
	cmd := exec.Command(bin, "-n",
		"--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", fmt.Sprintf("--listening-port=%d", port),
		fmt.Sprintf("--min-port=%d", minPort), fmt.Sprintf("--max-port=%d", minPort+99),
		"--use-auth-secret", "--static-auth-secret="+secret, "--realm=bidcast.test",
		"--no-tls", "--no-dtls", "--no-cli", "--no-multicast-peers", "--allow-loopback-peers",
		"--fingerprint", "--log-file=stdout", "--simple-log", "--no-software-attribute",
		"--pidfile="+filepath.Join(dir, "turnserver.pid"), "--userdb="+filepath.Join(dir, "turndb"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start coturn: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("coturn log:\n%s", out.String())
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if !waitDial(addr, 10*time.Second) {
		t.Fatalf("coturn on %s did not come up:\n%s", addr, out.String())
	}
	return &Coturn{Addr: addr}
}
