package signaling

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// A lean WebSocket client for the broadcast benchmark's second figure: it
// reads the server's frames straight off the TCP socket, many sockets per
// goroutine through an epoll set of its own, instead of coder/websocket's
// goroutine per connection, bufio reader and message allocation. The
// server under test is the same; only the in-process clients' share of the
// two cores shrinks, so the figure shows more of the server's own cost.
// TestLeanClientReadsWhatTheLibraryReads checks it reads exactly the
// messages a coder/websocket client reads.

// leanConn is one lean client connection: a socket taken out of Go's
// netpoller (a dup of the dialed one) and its unparsed bytes.
type leanConn struct {
	fd   int
	id   int
	pend []byte // bytes read but not yet a whole frame
	frag []byte // a fragmented message's payload so far
	dead bool
}

// websocketGUID is RFC 6455's handshake constant.
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// leanDial opens a WebSocket to rawURL (ws://host/path?query) with a plain
// HTTP/1.1 upgrade, joins room, waits for the join's ack, and returns the
// connection with its socket in non-blocking mode, outside Go's netpoller.
func leanDial(ctx context.Context, rawURL, room string) (*leanConn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, err
	}
	defer nc.Close() // the dup below keeps the socket
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	var key [16]byte
	_, _ = rand.Read(key[:])
	k := base64.StdEncoding.EncodeToString(key[:])
	req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + k + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := nc.Write([]byte(req)); err != nil {
		return nil, err
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, err
	}
	sum := sha1.Sum([]byte(k + websocketGUID))
	if resp.StatusCode != http.StatusSwitchingProtocols ||
		resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		return nil, fmt.Errorf("lean dial: handshake answered %s", resp.Status)
	}
	join, _ := json.Marshal(Envelope{V: 1, Type: TypeJoin, ID: "j", Data: mustMarshal(JoinData{RoomID: room})})
	if _, err := nc.Write(appendClientFrame(nil, opText, join)); err != nil {
		return nil, err
	}
	// Read frames (through br, which may hold some already) up to the ack.
	lc := &leanConn{}
	buf := make([]byte, 4096)
	var joinErr error
	for acked := false; !acked; {
		n, err := br.Read(buf)
		if err != nil {
			return nil, fmt.Errorf("lean dial: read: %w", err)
		}
		lc.pend = append(lc.pend, buf[:n]...)
		if err := lc.parse(func(op byte, p []byte) {
			var env Envelope
			if op == opText && json.Unmarshal(p, &env) == nil && env.ID == "j" {
				acked = true
				if env.Type == TypeError {
					joinErr = fmt.Errorf("join: %s", env.Data)
				}
			}
		}); err != nil {
			return nil, err
		}
	}
	if joinErr != nil {
		return nil, joinErr
	}
	if br.Buffered() > 0 {
		b, _ := br.Peek(br.Buffered())
		lc.pend = append(lc.pend, b...)
	}
	// Take the socket out of Go's netpoller: dup it, and close the
	// original (which removes it from the runtime's epoll set).
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil, errors.New("lean dial: no raw socket")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	var derr error
	if err := rc.Control(func(fd uintptr) { lc.fd, derr = syscall.Dup(int(fd)) }); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, derr
	}
	if err := syscall.SetNonblock(lc.fd, true); err != nil {
		syscall.Close(lc.fd)
		return nil, err
	}
	return lc, nil
}

// Frame opcodes (RFC 6455 section 5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// appendClientFrame appends a masked, final frame of opcode op (a client's
// frames must be masked).
func appendClientFrame(dst []byte, op byte, payload []byte) []byte {
	dst = append(dst, 0x80|op)
	switch n := len(payload); {
	case n < 126:
		dst = append(dst, 0x80|byte(n))
	case n <= 0xFFFF:
		dst = append(dst, 0x80|126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, 0x80|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	var mask [4]byte
	_, _ = rand.Read(mask[:])
	dst = append(dst, mask[:]...)
	for i, b := range payload {
		dst = append(dst, b^mask[i&3])
	}
	return dst
}

// parseFrame parses one frame at the start of b. ok is false if b does not
// hold a whole frame yet; n is the frame's length in b. A masked frame's
// payload is unmasked in place.
func parseFrame(b []byte) (fin bool, op byte, payload []byte, n int, ok bool, err error) {
	if len(b) < 2 {
		return false, 0, nil, 0, false, nil
	}
	fin, op = b[0]&0x80 != 0, b[0]&0x0F
	if b[0]&0x70 != 0 {
		return false, 0, nil, 0, false, errors.New("reserved bits set (no extension was negotiated)")
	}
	masked := b[1]&0x80 != 0
	size, h := uint64(b[1]&0x7F), 2
	switch size {
	case 126:
		if len(b) < 4 {
			return false, 0, nil, 0, false, nil
		}
		size, h = uint64(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return false, 0, nil, 0, false, nil
		}
		size, h = binary.BigEndian.Uint64(b[2:]), 10
		if size > 1<<40 {
			return false, 0, nil, 0, false, errors.New("frame too large")
		}
	}
	if op >= 0x8 && (size > 125 || !fin) {
		return false, 0, nil, 0, false, errors.New("bad control frame")
	}
	var mask []byte
	if masked {
		if len(b) < h+4 {
			return false, 0, nil, 0, false, nil
		}
		mask, h = b[h:h+4], h+4
	}
	if uint64(len(b)-h) < size {
		return false, 0, nil, 0, false, nil
	}
	payload = b[h : h+int(size)]
	for i := range payload {
		if mask != nil {
			payload[i] ^= mask[i&3]
		}
	}
	return fin, op, payload, h + int(size), true, nil
}

// parse hands each whole message in lc.pend to onMsg (op is the message's
// first frame's opcode; control frames come as they are), keeping what is
// left of a frame for the next read.
func (lc *leanConn) parse(onMsg func(op byte, payload []byte)) error {
	b := lc.pend
	for {
		fin, op, p, n, ok, err := parseFrame(b)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		b = b[n:]
		switch {
		case op >= 0x8:
			onMsg(op, p)
		case op == opContinuation || !fin:
			if op != opContinuation {
				lc.frag = append(lc.frag[:0], op)
			}
			lc.frag = append(lc.frag, p...)
			if fin && len(lc.frag) > 0 {
				onMsg(lc.frag[0], lc.frag[1:])
				lc.frag = lc.frag[:0]
			}
		default:
			onMsg(op, p)
		}
	}
	lc.pend = append(lc.pend[:0], b...)
	return nil
}

// leanReader reads the messages of many lean connections on one goroutine
// through an epoll set.
type leanReader struct {
	epfd  int
	conns map[int]*leanConn
	stop  atomic.Bool
}

func newLeanReader() (*leanReader, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return &leanReader{epfd: epfd, conns: make(map[int]*leanConn)}, nil
}

// add registers lc (before run starts).
func (r *leanReader) add(lc *leanConn) error {
	r.conns[lc.fd] = lc
	return syscall.EpollCtl(r.epfd, syscall.EPOLL_CTL_ADD, lc.fd,
		&syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(lc.fd)})
}

// run reads until close: every text or binary message goes to onMsg with
// the time it was read; pings are answered; a closed socket is dropped.
func (r *leanReader) run(onMsg func(lc *leanConn, payload []byte, at time.Time)) {
	evs := make([]syscall.EpollEvent, 256)
	buf := make([]byte, 64<<10)
	for !r.stop.Load() {
		n, err := syscall.EpollWait(r.epfd, evs, 50)
		if err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			return
		}
		for i := range n {
			lc := r.conns[int(evs[i].Fd)]
			if lc == nil || lc.dead {
				continue
			}
			m, err := syscall.Read(lc.fd, buf)
			if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR) {
				continue
			}
			if err != nil || m == 0 {
				r.drop(lc)
				continue
			}
			at := time.Now()
			lc.pend = append(lc.pend, buf[:m]...)
			if err := lc.parse(func(op byte, p []byte) {
				switch op {
				case opPing:
					_, _ = syscall.Write(lc.fd, appendClientFrame(nil, opPong, p))
				case opClose:
					r.drop(lc)
				case opPong:
				default:
					onMsg(lc, p, at)
				}
			}); err != nil {
				r.drop(lc)
			}
		}
	}
}

// drop forgets a closed connection.
func (r *leanReader) drop(lc *leanConn) {
	if lc.dead {
		return
	}
	lc.dead = true
	_ = syscall.EpollCtl(r.epfd, syscall.EPOLL_CTL_DEL, lc.fd, nil)
}

// close stops run (within its 50 ms wait) and closes every socket; call
// after run has returned, or let run see stop.
func (r *leanReader) close() {
	r.stop.Store(true)
}

// closeAll closes the epoll set and the sockets once run has returned.
func (r *leanReader) closeAll() {
	for fd := range r.conns {
		_ = syscall.Close(fd)
	}
	_ = syscall.Close(r.epfd)
}

// leanBase turns an httptest server URL into the WebSocket URL of its /ws.
func leanBase(srvURL string) string {
	return "ws" + strings.TrimPrefix(srvURL, "http")
}
