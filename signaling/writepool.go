package signaling

import (
	"bufio"
	"errors"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The write pool: a few goroutines write every connection's queue, instead
// of one goroutine started per connection each time its queue fills. A
// round to a room of 5,000 watchers used to start 5,000 goroutines; now it
// queues 5,000 connections for the pool's workers, which write them one
// after the other, so the round costs no goroutine start, exit or
// scheduling per delivery.
//
// A write that would block (its peer stopped reading, the socket's buffer
// is full) must not hold the others up: the socket under coder/websocket
// is wrapped (poolConn), and the moment a write would block it hands the
// worker's place over, so another worker starts on the queued connections
// while this one waits in its write (ended at the latest by the write
// watchdog). At most limit workers are ever outside such a wait. A
// connection whose writer must hold its queue (EventInterval) is parked
// in the pool's heap of holds (writehold.go) until its hold ends; order is
// kept because a connection has one writer at a time (conn.writing),
// whoever runs it.

// writePool runs queued connections' writers on at most limit goroutines
// that are not blocked in a write. Workers exist only while connections
// wait for them.
type writePool struct {
	limit int

	mu     sync.Mutex
	active int     // workers not blocked in a write
	ready  []*conn // connections waiting for a worker, ready[next:]
	next   int
	// Parked writers (writehold.go) and the timer that ends their holds.
	holds   parkHeap
	timer   *time.Timer
	timerAt int64 // Unix ns the timer fires at; 0 if not armed
}

func newWritePool(limit int) *writePool {
	if limit <= 0 {
		limit = max(2, runtime.GOMAXPROCS(0))
	}
	return &writePool{limit: limit}
}

// submit queues c, whose writer the caller has just claimed (c.writing
// and one count of c.helpers), and starts a worker if fewer than limit
// run.
func (p *writePool) submit(c *conn) {
	p.mu.Lock()
	p.ready = append(p.ready, c)
	start := p.active < p.limit
	if start {
		p.active++
	}
	p.mu.Unlock()
	if start {
		go p.work()
	}
}

// work drains queued connections until none is left or the pool has more
// workers than it needs (after a blocked write came back).
func (p *writePool) work() {
	for {
		p.mu.Lock()
		if p.next == len(p.ready) || p.active > p.limit {
			if p.next == len(p.ready) {
				clear(p.ready)
				p.ready, p.next = p.ready[:0], 0
			}
			p.active--
			p.mu.Unlock()
			return
		}
		c := p.ready[p.next]
		p.ready[p.next] = nil
		p.next++
		p.mu.Unlock()
		c.drain(p)
	}
}

// blocked gives up a blocked worker's place: another worker starts if
// connections are waiting.
func (p *writePool) blocked() {
	p.mu.Lock()
	p.active--
	start := p.next < len(p.ready) && p.active < p.limit
	if start {
		p.active++
	}
	p.mu.Unlock()
	if start {
		go p.work()
	}
}

// unblocked takes a place back for a worker whose write returned; the
// worker leaves the pool at its next turn if it is now one too many.
func (p *writePool) unblocked() {
	p.mu.Lock()
	p.active++
	p.mu.Unlock()
}

// stats returns the workers not blocked in a write and the connections
// waiting (for tests).
func (p *writePool) stats() (active, waiting int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.active, len(p.ready) - p.next
}

// poolConn is the socket under a connection's coder/websocket Conn. Its
// Write tells the pool when a write would block, so a worker waiting for
// a slow peer gives its place to another.
type poolConn struct {
	net.Conn
	raw syscall.RawConn // nil if the socket has none (then writes never report blocking)

	// pool is set while a pool worker writes through this socket and not
	// yet reported blocked; the first write that would block swaps it
	// out and tells the pool.
	pool atomic.Pointer[writePool]
	// stalled is set while a write (anyone's: a ping's too) waits for the
	// socket, so a worker that would wait behind it gives its place up
	// at once (see claim).
	stalled atomic.Bool

	// fmu lets one frame through at a time: the gateway's own messages
	// (writeMessage) and the library's control frames (Write), each one
	// whole frame per write. closeSent is set once the library has
	// written its close frame: no message may follow it.
	fmu       sync.Mutex
	closeSent bool

	// The write in progress, for writeRaw (under fmu).
	p      []byte
	n      int
	err    error
	parked bool // this write has waited for the socket
	writeF func(fd uintptr) bool
}

func newPoolConn(nc net.Conn) *poolConn {
	pc := &poolConn{Conn: nc}
	if sc, ok := nc.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			pc.raw = raw
			pc.writeF = pc.writeRaw
		}
	}
	return pc
}

// claim marks a pool worker's write through pc: if the write waits for
// the socket, or another write holding the socket already does, the
// worker's place goes to another worker.
func (pc *poolConn) claim(p *writePool) {
	pc.pool.Store(p)
	if pc.stalled.Load() {
		pc.handOver()
	}
}

// release ends a pool worker's write; it reports whether the worker gave
// its place up meanwhile (then it must take one back: writePool.unblocked).
func (pc *poolConn) release() (handedOver bool) {
	return pc.pool.Swap(nil) == nil
}

// handOver gives up the place of the worker writing through pc, if any,
// once.
func (pc *poolConn) handOver() {
	if p := pc.pool.Swap(nil); p != nil {
		p.blocked()
	}
}

// Write is the library's: it writes p like the socket's own Write (all of
// it, or an error). The library writes only control frames here (the
// gateway frames its messages itself), each one whole frame per call,
// so a close frame is seen at the start of p.
func (pc *poolConn) Write(p []byte) (int, error) {
	pc.fmu.Lock()
	defer pc.fmu.Unlock()
	if len(p) > 0 && p[0]&0x0F == 0x8 {
		pc.closeSent = true
	}
	return pc.writeLocked(p)
}

// writeMessage writes one framed message of the gateway's, unless the
// library has sent its close frame.
func (pc *poolConn) writeMessage(frame []byte) error {
	pc.fmu.Lock()
	defer pc.fmu.Unlock()
	if pc.closeSent {
		return net.ErrClosed
	}
	_, err := pc.writeLocked(frame)
	return err
}

// writeLocked writes p whole, reporting to the pool the first time it
// would block. pc.fmu is held.
func (pc *poolConn) writeLocked(p []byte) (int, error) {
	if pc.raw == nil {
		return pc.Conn.Write(p)
	}
	pc.p, pc.n, pc.err = p, 0, nil
	err := pc.raw.Write(pc.writeF)
	if pc.parked {
		pc.parked = false
		pc.stalled.Store(false)
	}
	n, werr := pc.n, pc.err
	pc.p, pc.err = nil, nil
	if werr == nil {
		werr = err
	}
	if werr != nil {
		return n, &net.OpError{Op: "write", Net: "tcp", Source: pc.LocalAddr(), Addr: pc.RemoteAddr(), Err: werr}
	}
	return n, nil
}

// writeRaw is the RawConn write step: it writes until done or the socket
// would block (returning false, so the runtime waits until it can write).
func (pc *poolConn) writeRaw(fd uintptr) bool {
	for pc.n < len(pc.p) {
		m, err := syscall.Write(int(fd), pc.p[pc.n:])
		if m > 0 {
			pc.n += m
		}
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			if !pc.parked {
				pc.parked = true
				pc.stalled.Store(true)
				pc.handOver()
			}
			return false
		case err != nil:
			pc.err = err
			return true
		case m <= 0:
			pc.err = errors.New("write returned no progress")
			return true
		}
	}
	return true
}

// hijackWriter hands coder/websocket a poolConn instead of the bare socket
// when it hijacks the request.
type hijackWriter struct {
	http.ResponseWriter
	pc *poolConn
}

// Hijack implements http.Hijacker.
func (w *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.pc = newPoolConn(nc)
	// The writer has nothing buffered after the hijack (the 101 response
	// went out); from now on it writes through the poolConn.
	brw.Writer.Reset(w.pc)
	return w.pc, brw, nil
}
