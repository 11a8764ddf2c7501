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
	// TLSAddr is its 127.0.0.1:port for TURN over TLS (turns:), only
	// from StartCoturnTLS.
	TLSAddr string
}

// StartCoturn runs turnserver on a free loopback port with the time-limited
// credential scheme (use-auth-secret) and secret, relaying only to loopback
// peers, and stops it when the test ends; its log is shown if the test
// failed. It fails the test when coturn is not installed: `make test`
// installs it. extra are more turnserver options, e.g.
// "--max-allocate-lifetime=4".
func StartCoturn(t testing.TB, secret string, extra ...string) *Coturn {
	t.Helper()
	return startCoturn(t, secret, "", "", extra)
}

// StartCoturnTLS is StartCoturn that also takes TURN over TLS (turns:) on
// a port of its own, TLSAddr, with the PEM certificate and key in certFile
// and keyFile.
func StartCoturnTLS(t testing.TB, secret, certFile, keyFile string) *Coturn {
	t.Helper()
	return startCoturn(t, secret, certFile, keyFile, nil)
}

func startCoturn(t testing.TB, secret, certFile, keyFile string, extra []string) *Coturn {
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
	args := []string{"-n",
		"--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", fmt.Sprintf("--listening-port=%d", port),
		fmt.Sprintf("--min-port=%d", minPort), fmt.Sprintf("--max-port=%d", minPort+99),
		"--use-auth-secret", "--static-auth-secret=" + secret, "--realm=bidcast.test",
		"--no-dtls", "--no-cli", "--no-multicast-peers", "--allow-loopback-peers",
		"--fingerprint", "--log-file=stdout", "--simple-log", "--no-software-attribute",
		"--pidfile=" + filepath.Join(dir, "turnserver.pid"), "--userdb=" + filepath.Join(dir, "turndb")}
	tlsPort := 0
	if certFile == "" {
		args = append(args, "--no-tls")
	} else {
		tlsPort = freePort(t)
		args = append(args, fmt.Sprintf("--tls-listening-port=%d", tlsPort), "--cert="+certFile, "--pkey="+keyFile)
	}
	cmd := exec.Command(bin, append(args, extra...)...)
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
	c := &Coturn{Addr: addr}
	if tlsPort != 0 {
		c.TLSAddr = fmt.Sprintf("127.0.0.1:%d", tlsPort)
		if !waitDial(c.TLSAddr, 10*time.Second) {
			t.Fatalf("coturn's TLS listener on %s did not come up:\n%s", c.TLSAddr, out.String())
		}
	}
	return c
}
