package signaling

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
)

// TestFrameHeaders: the gateway's frames carry each payload length in the
// right one of the three encodings, and read back whole through the lean
// client's parser (an independent one).
func TestFrameHeaders(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 127, 65535, 65536, 70000} {
		payload := bytes.Repeat([]byte{'x'}, n)
		f := appendTextFrame(nil, payload)
		if h := len(f) - n; h != frameHeaderLen(n) {
			t.Fatalf("%d bytes: header %d, want %d", n, h, frameHeaderLen(n))
		}
		inPlace := frameInPlace(append(make([]byte, maxFrameHeader), payload...))
		if !bytes.Equal(inPlace, f) {
			t.Fatalf("%d bytes: frameInPlace differs from appendTextFrame", n)
		}
		if !bytes.Equal(framePayload(f), payload) {
			t.Fatalf("%d bytes: framePayload differs", n)
		}
		fin, op, p, used, ok, err := parseFrame(append([]byte(nil), f...))
		if err != nil || !ok || !fin || op != opText || used != len(f) || !bytes.Equal(p, payload) {
			t.Fatalf("%d bytes: parse = fin %v op %x used %d ok %v err %v", n, fin, op, used, ok, err)
		}
	}
}

// pipeConns returns the two ends of a loopback TCP connection.
func pipeConns(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		done <- c
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b := <-done
	if b == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// TestMessagesAndControlFramesDoNotInterleave: the gateway's messages and
// the library's control frames (pings here), written at once from two
// goroutines through one poolConn, reach the peer as whole frames, every
// message and every ping intact.
func TestMessagesAndControlFramesDoNotInterleave(t *testing.T) {
	a, b := pipeConns(t)
	pc := newPoolConn(a)
	const msgs, pings = 300, 300
	msg := appendTextFrame(nil, bytes.Repeat([]byte("m"), 40000)) // bigger than a socket write at once
	ping := []byte{0x89, 4, 'p', 'i', 'n', 'g'}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for range msgs {
			if err := pc.writeMessage(msg); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for range pings {
			if _, err := pc.Write(ping); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	go func() { wg.Wait(); a.Close() }()
	stream, err := io.ReadAll(b)
	if err != nil {
		t.Fatal(err)
	}
	gotMsgs, gotPings := 0, 0
	for len(stream) > 0 {
		_, op, p, n, ok, err := parseFrame(stream)
		if err != nil || !ok {
			t.Fatalf("broken frame after %d messages and %d pings: ok %v, err %v", gotMsgs, gotPings, ok, err)
		}
		switch {
		case op == opText && len(p) == 40000 && bytes.Count(p, []byte("m")) == 40000:
			gotMsgs++
		case op == opPing && string(p) == "ping":
			gotPings++
		default:
			t.Fatalf("unexpected frame op %x of %d bytes", op, len(p))
		}
		stream = stream[n:]
	}
	if gotMsgs != msgs || gotPings != pings {
		t.Fatalf("read %d messages and %d pings, want %d and %d", gotMsgs, gotPings, msgs, pings)
	}
}

// TestNoMessageAfterTheCloseFrame: once the library has written its close
// frame, the gateway's messages are refused, as the library's own Write
// would refuse them.
func TestNoMessageAfterTheCloseFrame(t *testing.T) {
	a, _ := pipeConns(t)
	pc := newPoolConn(a)
	if err := pc.writeMessage(appendTextFrame(nil, []byte("before"))); err != nil {
		t.Fatal(err)
	}
	if _, err := pc.Write([]byte{0x88, 2, 0x03, 0xE8}); err != nil { // close, 1000
		t.Fatal(err)
	}
	if err := pc.writeMessage(appendTextFrame(nil, []byte("after"))); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("message after the close frame: %v, want net.ErrClosed", err)
	}
}
