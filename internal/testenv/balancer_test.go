package testenv

import (
	"bufio"
	"net"
	"runtime"
	"testing"
	"time"
)

// echoServer answers each line with its own name, until stopped.
func echoServer(t *testing.T, name string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					if _, err := r.ReadString('\n'); err != nil {
						return
					}
					if _, err := c.Write([]byte(name + "\n")); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln
}

// ask sends a line through the balancer on a new connection and returns
// the name of the backend that answered ("" when none did).
func ask(t *testing.T, b *Balancer) (string, net.Conn) {
	t.Helper()
	c, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Write([]byte("hi\n")); err != nil {
		return "", c
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", c
	}
	return line[:len(line)-1], c
}

// TestBalancerPrefersAndFailsOver checks the balancer sends new connections
// to the preferred backend, to the next one when that one is gone, and
// stops accepting when closed.
func TestBalancerPrefersAndFailsOver(t *testing.T) {
	before := runtime.NumGoroutine()
	a, z := echoServer(t, "a"), echoServer(t, "z")
	defer z.Close()
	b := StartBalancer(t, a.Addr().String(), z.Addr().String())
	if got, _ := ask(t, b); got != "a" {
		t.Fatalf("first backend: got %q, want a", got)
	}
	b.Prefer(1)
	if got, _ := ask(t, b); got != "z" {
		t.Fatalf("preferred backend: got %q, want z", got)
	}
	b.Prefer(0)
	_, held := ask(t, b)
	a.Close() // no new connections to a; the held one is a's own
	if got, _ := ask(t, b); got != "z" {
		t.Fatalf("after a closed: got %q, want z", got)
	}
	_ = held.Close()
	b.Close()
	if _, err := net.Dial("tcp", b.Addr()); err == nil {
		t.Fatal("the balancer still accepts after Close")
	}
	// Close waited for the proxy's goroutines; the echo servers' go with
	// their listeners.
	z.Close()
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
	}
}
