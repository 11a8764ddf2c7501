package testenv

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Balancer is a loopback TCP proxy that plays a cluster's load balancer in
// tests: each new connection goes to the preferred backend, or, when that
// one does not answer (a killed node), to the next that does, in order. It
// knows nothing of HTTP: a WebSocket or a kept-alive HTTP connection stays
// on the node it reached, and when that node dies the proxy closes the
// client's side too, as a real balancer does.
type Balancer struct {
	ln       net.Listener
	mu       sync.Mutex
	backends []string // host:port
	prefer   int
	conns    map[net.Conn]struct{}
	wg       sync.WaitGroup
}

// StartBalancer listens on a free loopback port in front of backends
// (host:port) and stops when the test ends.
func StartBalancer(t testing.TB, backends ...string) *Balancer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("balancer: %v", err)
	}
	b := &Balancer{ln: ln, backends: backends, conns: map[net.Conn]struct{}{}}
	b.wg.Add(1)
	go b.accept()
	t.Cleanup(b.Close)
	return b
}

// Addr returns the balancer's host:port.
func (b *Balancer) Addr() string { return b.ln.Addr().String() }

// Prefer sends new connections to backend i first.
func (b *Balancer) Prefer(i int) {
	b.mu.Lock()
	b.prefer = i
	b.mu.Unlock()
}

// Close stops accepting, closes every proxied connection and waits for the
// proxy's goroutines.
func (b *Balancer) Close() {
	_ = b.ln.Close()
	b.mu.Lock()
	for c := range b.conns {
		_ = c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
}

func (b *Balancer) accept() {
	defer b.wg.Done()
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.wg.Add(1)
		go b.serve(c)
	}
}

// track adds (or, with on false, removes) c from the open connections; it
// refuses new ones once the listener is closed.
func (b *Balancer) track(c net.Conn, on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if on {
		b.conns[c] = struct{}{}
	} else {
		delete(b.conns, c)
	}
}

// dial connects to the preferred backend, else the next one that answers.
func (b *Balancer) dial() net.Conn {
	b.mu.Lock()
	order := make([]string, 0, len(b.backends))
	for i := range b.backends {
		order = append(order, b.backends[(b.prefer+i)%len(b.backends)])
	}
	b.mu.Unlock()
	for _, addr := range order {
		if up, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			return up
		}
	}
	return nil
}

func (b *Balancer) serve(down net.Conn) {
	defer b.wg.Done()
	up := b.dial()
	if up == nil {
		_ = down.Close()
		return
	}
	b.track(down, true)
	b.track(up, true)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(up, down)
	go pipe(down, up)
	<-done // either side gone: close both, as a balancer does
	_ = down.Close()
	_ = up.Close()
	<-done
	b.track(down, false)
	b.track(up, false)
}
