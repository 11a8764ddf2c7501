package signaling

import (
	"context"
	"time"

	"github.com/coder/websocket"
)

// A connection's outgoing side: the send queue, which never blocks its
// callers, and the writer goroutine, which exists only while the queue is
// not empty. Room events waiting in the queue merge (see outMsg); the
// gateway's watchdog closes a connection whose write has hung for
// WriteTimeout.
//
// While events keep coming, a connection gets at most one message of them
// per Config.EventInterval: the writer holds a message of events that
// came within the interval of the previous one, and the events that
// arrive meanwhile join it. Anything urgent (any other message, or events
// that concern the connection's user alone, such as a bid's outcome) ends
// the hold, and the queue goes out in order.

// outMsg is one message waiting for a connection's writer. Room events
// queued behind each other merge into one room.events message, so a
// connection that falls behind gets fewer, larger writes instead of a
// longer queue.
type outMsg struct {
	// msg is the message as it goes out; nil for a list merged in the
	// queue, which the writer builds. framed, if not nil, is msg as a
	// WebSocket frame (wsframe.go), shared by every connection of a round.
	msg    []byte
	framed []byte
	// events are the room event envelopes msg carries (nil for any other
	// message); owned says this slice is the queue's own, so more may be
	// appended (it starts as a round's, shared with other connections).
	events [][]byte
	owned  bool
	size   int   // bytes of events
	last   int64 // seq of the last event
	// urgent messages are written at once; only public events may wait.
	urgent bool
}

// send queues a message without blocking (see roomForLocked for a full
// queue).
func (c *conn) send(frame []byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return
	}
	if !c.roomForLocked() {
		return
	}
	c.queue = append(c.queue, outMsg{msg: frame, urgent: true})
	c.startWriterLocked()
	c.wakeLocked()
}

// sendEvents queues room events (frames, the last with seq last) without
// blocking, like send. msg is their message if already encoded (one
// event's envelope, or their room.events list), else nil. Events queued
// right behind other events not yet written join their message. urgent
// events (for this connection's user alone, or a joining client's
// catch-up) go out at once; others may wait out the EventInterval.
func (c *conn) sendEvents(frames [][]byte, msg []byte, last int64, urgent bool) {
	c.sendEventsFramed(frames, msg, nil, last, urgent)
}

// sendEventsFramed is sendEvents with msg's frame, if already built.
func (c *conn) sendEventsFramed(frames [][]byte, msg, framed []byte, last int64, urgent bool) {
	size := 0
	for _, f := range frames {
		size += len(f)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return
	}
	if n := len(c.queue); n > 0 && c.queue[n-1].events != nil &&
		fits(len(c.queue[n-1].events), c.queue[n-1].size, len(frames), size) {
		t := &c.queue[n-1]
		if !t.owned {
			t.events = append(make([][]byte, 0, 2*(len(t.events)+len(frames))), t.events...)
			t.owned = true
		}
		t.events = append(t.events, frames...)
		t.msg, t.framed, t.size, t.last = nil, nil, t.size+size, last
		t.urgent = t.urgent || urgent
		if urgent {
			c.wakeLocked()
		}
		return // the writer is already due
	}
	if !c.roomForLocked() {
		return
	}
	c.queue = append(c.queue, outMsg{msg: msg, framed: framed, events: frames, size: size, last: last, urgent: urgent})
	c.startWriterLocked()
	if urgent {
		c.wakeLocked()
	}
}

// wakeLocked ends a writer's hold (see holdLocked). c.wmu is held.
func (c *conn) wakeLocked() {
	if c.held {
		c.g.pool.unparkLocked(c)
		return
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// holdLocked returns how long the writer should hold the queue before
// writing: until EventInterval has passed since its last message of
// events, if the queue holds nothing but events that may wait. c.wmu is
// held.
func (c *conn) holdLocked(now time.Time) time.Duration {
	gap := c.g.cfg.EventInterval
	if gap <= 0 || c.lastEvents.IsZero() || c.closed {
		return 0
	}
	for i := range c.queue {
		if c.queue[i].urgent {
			return 0
		}
	}
	return c.lastEvents.Add(gap).Sub(now)
}

// hold waits d, or less if something urgent is queued or the connection
// closes.
func (c *conn) hold(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.wake:
	case <-c.closing:
	}
}

// roomForLocked reports whether one more message fits in the send buffer.
// A connection whose buffer is full cannot keep up with its room; it is
// closed with a policy violation so it never holds up the fan-out, and its
// client reconnects and resumes. Merged events count as one message: a
// connection that reads a list per round keeps up, however busy the room.
// c.wmu is held.
func (c *conn) roomForLocked() bool {
	if len(c.queue) < c.g.cfg.SendBuffer {
		return true
	}
	c.g.stats.slowConsumers.Add(1)
	c.closeWithLocked(websocket.StatusPolicyViolation, "too slow to keep up with the room")
	return false
}

// startWriterLocked starts the writer unless it runs: on the gateway's
// write pool if the socket can report a blocked write, else on a
// goroutine of its own. c.wmu is held.
func (c *conn) startWriterLocked() {
	if !c.writing && !c.finished {
		c.writing = true
		c.helpers.Add(1)
		if c.pc != nil && c.pc.raw != nil {
			c.g.pool.submit(c)
		} else {
			go c.writeLoop()
		}
	}
}

// writeLoop writes queued messages and exits when the queue is empty, on
// a goroutine of its own: for a connection whose writer must hold its
// queue (EventInterval), or whose socket cannot tell the pool when a
// write would block. Otherwise the write pool runs the writer (drain).
// Writes take no context of their own: a context with a deadline per
// write (or per wakeup) cost a timer, a child of the connection's context
// and the library's AfterFunc, about a fifth of a delivery's CPU in a big
// room. The gateway's write watchdog enforces WriteTimeout instead.
func (c *conn) writeLoop() {
	defer c.helpers.Done()
	for {
		m, d, ok := c.take(nil)
		switch {
		case !ok:
			return
		case d > 0:
			c.hold(d)
		case !c.writeMsg(m, nil):
			return
		}
	}
}

// drain is the writer run by a pool worker: it writes the queue until it
// is empty, or parks the writer in the pool while it must hold.
func (c *conn) drain(p *writePool) {
	for {
		m, d, ok := c.take(p)
		switch {
		case !ok:
			c.helpers.Done()
			return
		case d > 0:
			return // parked; the pool runs the writer again
		case !c.writeMsg(m, p):
			c.helpers.Done()
			return
		}
	}
}

// take takes the next message off the queue for the writer. ok is false
// if the queue is empty: the writer has stopped. hold > 0 says the writer
// must wait that long first: a pool's writer (p not nil) is then parked in
// the pool, a writer of its own waits and takes again.
func (c *conn) take(p *writePool) (m outMsg, hold time.Duration, ok bool) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if len(c.queue) == 0 {
		// Idle connections should not keep a grown queue's array.
		if cap(c.queue) > 16 {
			c.queue = nil
		}
		c.writing = false
		return outMsg{}, 0, false
	}
	now := time.Now()
	if d := c.holdLocked(now); d > 0 {
		if p != nil {
			p.parkLocked(c, now.Add(d))
		}
		return outMsg{}, d, true
	}
	// Shift instead of reslicing, so the queue keeps its array and a
	// connection that gets one message per round allocates none.
	m = c.queue[0]
	if m.events != nil {
		c.lastEvents = now
	}
	n := copy(c.queue, c.queue[1:])
	c.queue[n] = outMsg{}
	c.queue = c.queue[:n]
	return m, 0, true
}

// writeMsg writes m, framing it (and building its list if it is merged
// events) unless a round framed it already; p is the pool whose worker
// writes, if any. On failure it closes the connection, stops the writer
// and returns false.
func (c *conn) writeMsg(m outMsg, p *writePool) bool {
	frame, buf := m.framed, (*[]byte)(nil)
	if frame == nil {
		buf = listBufs.Get().(*[]byte)
		b := (*buf)[:maxFrameHeader]
		if m.msg != nil {
			b = append(b, m.msg...)
		} else {
			b = appendList(b, m.events, m.last)
		}
		*buf = b
		frame = frameInPlace(b)
	}
	if p != nil {
		c.pc.claim(p)
	}
	err := c.write(frame)
	if p != nil && c.pc.release() {
		p.unblocked()
	}
	if buf != nil && cap(*buf) <= 4*maxListBytes {
		*buf = (*buf)[:0]
		listBufs.Put(buf)
	}
	if err != nil {
		c.closeWith(websocket.StatusPolicyViolation, "write failed or timed out")
		c.wmu.Lock()
		c.queue, c.writing = nil, false
		c.wmu.Unlock()
		return false
	}
	return true
}

// write writes one message, framed (wsframe.go): through the socket
// under the library, or, without one (unit tests), the library's Write.
// writeStart marks it in progress for the watchdog.
func (c *conn) write(frame []byte) error {
	c.writeStart.Store(time.Now().UnixNano())
	var err error
	if c.pc != nil {
		err = c.pc.writeMessage(frame)
	} else {
		err = c.ws.Write(context.Background(), websocket.MessageText, framePayload(frame))
	}
	c.writeStart.Store(0)
	if err != nil {
		return err
	}
	c.g.stats.messagesOut.Add(1)
	return nil
}

// watchWrites closes, every WriteTimeout/4 until ctx ends, the connections
// whose current write began more than WriteTimeout ago: their peer stopped
// reading. Closing the socket ends the write with an error, and the writer
// closes the connection as a slow consumer.
func (g *Gateway) watchWrites(ctx context.Context) {
	every := max(g.cfg.WriteTimeout/4, time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	var stuck []*conn
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		limit := time.Now().Add(-g.cfg.WriteTimeout).UnixNano()
		stuck = stuck[:0]
		g.mu.Lock()
		for c := range g.conns {
			if s := c.writeStart.Load(); s != 0 && s < limit {
				stuck = append(stuck, c)
			}
		}
		g.mu.Unlock()
		for _, c := range stuck {
			g.stats.slowConsumers.Add(1)
			_ = c.ws.CloseNow()
		}
	}
}
