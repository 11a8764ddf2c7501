package signaling

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/bidcast/bidcast/internal/ratelimit"
)

// conn is one client connection.
//
// Concurrency: one goroutine runs serve, which reads and handles requests
// one at a time (so a client's bids keep their order). Writes happen in a
// writer that exists only while there is something to write (a write-pool
// worker runs it, or a goroutine of its own while it holds events), and
// a ping runs in a short-lived goroutine every PingInterval; an idle
// connection therefore costs one goroutine. Anyone may call send, which
// never blocks, and closeWith. mu guards the room membership and media
// sessions; wmu guards the send queue and the helper goroutines' lifecycle.
type conn struct {
	g  *Gateway
	ws *websocket.Conn
	id Identity

	ctx    context.Context
	cancel context.CancelFunc

	closeOnce   sync.Once
	closing     chan struct{}
	closeStatus websocket.StatusCode
	closeReason string

	// lease holds the connection's slots under the per-user and
	// per-address caps until unregister releases them.
	lease *ratelimit.Lease

	msgLimit  *rate.Limiter
	chatLimit *rate.Limiter
	bidLimit  *rate.Limiter

	// pc is the socket under ws (writepool.go); nil in unit tests.
	pc *poolConn

	wmu     sync.Mutex
	queue   []outMsg // messages waiting for the writer, at most SendBuffer
	writing bool     // a writer runs (a pool worker or a goroutine of its own)
	// closed is closing's state for those holding wmu: a field read
	// costs less than a channel's in the fan-out's hot path.
	closed bool
	// held says the writer is parked in the write pool (writehold.go);
	// holdGen tells its current hold from ones ended early.
	held    bool
	holdGen uint64
	// lastEvents is when the writer last took a message of events (see
	// holdLocked); wakeLocked ends its hold early.
	lastEvents time.Time
	wake       chan struct{}
	// writeStart is when the write in progress began (Unix ns), 0 when
	// none is: the gateway's watchdog closes a write hung for WriteTimeout.
	writeStart atomic.Int64
	finished   bool           // serve is exiting: start no more helpers
	helpers    sync.WaitGroup // writer, closer and ping goroutines
	pinger     *time.Timer

	mu       sync.Mutex
	roomID   string
	lastSeq  int64         // last room event seq delivered (or covered by a snapshot)
	syncing  bool          // joining: events wait in pending until the snapshot is out
	pending  []syncedFrame // events received while syncing
	sessions map[string]struct{}

	// viewerToken (guarded by mu) is the invitation the room was joined
	// with, kept to re-check the right to watch on media requests and
	// access notices.
	viewerToken string
}

// syncedFrame is a room event waiting for a joining connection.
type syncedFrame struct {
	seq   int64
	frame []byte
}

func newConn(g *Gateway, ws *websocket.Conn, id Identity) *conn {
	ctx, cancel := context.WithCancel(g.base)
	return &conn{g: g, ws: ws, id: id, ctx: ctx, cancel: cancel, closing: make(chan struct{}), wake: make(chan struct{}, 1),
		msgLimit:  rate.NewLimiter(g.cfg.MessageRate, g.cfg.MessageBurst),
		chatLimit: rate.NewLimiter(g.cfg.ChatRate, g.cfg.ChatBurst),
		bidLimit:  rate.NewLimiter(g.cfg.BidRate, g.cfg.BidBurst)}
}

// serve runs the connection until it closes, then leaves its room and ends
// its media sessions. It returns after every helper goroutine has ended.
func (c *conn) serve() {
	// The library enforces the larger media limit; the smaller limit for
	// other messages is checked after decoding, so a client gets a
	// too_large error instead of losing its connection.
	c.ws.SetReadLimit(c.g.cfg.MediaReadLimit)
	c.wmu.Lock()
	c.pinger = time.AfterFunc(c.g.cfg.PingInterval, c.ping)
	c.wmu.Unlock()
	c.readLoop()
	c.closeWith(websocket.StatusNormalClosure, "")
	c.leave()
	c.closeSessions()
	c.wmu.Lock()
	c.finished = true
	c.pinger.Stop()
	c.wmu.Unlock()
	c.helpers.Wait()
	c.cancel()
}

// readLoop reads and handles messages until the connection fails or closes.
func (c *conn) readLoop() {
	for {
		typ, b, err := c.ws.Read(c.ctx)
		if err != nil {
			return // closed by either side, too big, or the hard stop
		}
		c.g.stats.messagesIn.Add(1)
		if typ != websocket.MessageText {
			c.closeWith(websocket.StatusUnsupportedData, "text messages only")
			return
		}
		env, err := Decode(b)
		if err == nil && int64(len(b)) > c.g.cfg.ReadLimit && !strings.HasPrefix(env.Type, "media.") {
			err = Errorf(CodeTooLarge, "message larger than the limit for its type")
		}
		if err == nil && !c.msgLimit.Allow() {
			err = Errorf(CodeRateLimited, "too many messages; slow down")
		}
		if err == nil {
			ctx, cancel := context.WithTimeout(c.ctx, c.g.cfg.RequestTimeout)
			err = c.g.handle(ctx, c, env)
			cancel()
		}
		if err != nil {
			c.fail(env.ID, err)
		}
		select {
		case <-c.closing:
			return
		default:
		}
	}
}

// fail answers a request with an error message.
func (c *conn) fail(refID string, err error) {
	code, msg, internal := classify(err)
	if internal && c.ctx.Err() == nil {
		c.g.log.Error("websocket request failed", "user", c.id.UserID, "err", err)
	}
	if code == CodeRateLimited {
		c.g.stats.rateLimited.Add(1)
	}
	c.g.stats.errors.Add(1)
	c.send(encode(TypeError, refID, 0, ErrorData{Code: code, Message: msg, RefID: refID}))
}

// closeWith closes the connection with status; only the first call counts.
func (c *conn) closeWith(status websocket.StatusCode, reason string) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.closeWithLocked(status, reason)
}

// closeWithLocked starts the close handshake in a helper goroutine: it lets
// the writer finish what is queued (a final error, say), then closes, which
// also ends serve's read. Close waits for the peer's close frame up to the
// library's own timeouts. c.wmu is held.
func (c *conn) closeWithLocked(status websocket.StatusCode, reason string) {
	c.closeOnce.Do(func() {
		c.closeStatus, c.closeReason = status, reason
		close(c.closing)
		c.closed = true
		c.wakeLocked() // a closing connection's writer holds nothing
		if c.finished {
			return
		}
		if status == websocket.StatusPolicyViolation {
			// Drop what a slow consumer would not read, but let the frame
			// being written finish: cutting it would leave the client a
			// broken frame instead of a close code.
			c.queue = nil
		}
		c.helpers.Add(1)
		go func() {
			defer c.helpers.Done()
			c.waitWriter()
			_ = c.ws.Close(status, reason)
		}()
	})
}

// waitWriter waits (up to WriteTimeout) for the queue to drain.
func (c *conn) waitWriter() {
	deadline := time.Now().Add(c.g.cfg.WriteTimeout)
	for time.Now().Before(deadline) {
		c.wmu.Lock()
		idle := !c.writing
		c.wmu.Unlock()
		if idle {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ping runs from the ping timer: it pings, closes the connection if no pong
// comes back in time, and re-arms the timer.
func (c *conn) ping() {
	c.wmu.Lock()
	if c.finished {
		c.wmu.Unlock()
		return
	}
	c.helpers.Add(1)
	c.wmu.Unlock()
	defer c.helpers.Done()
	ctx, cancel := context.WithTimeout(c.ctx, c.g.cfg.PongTimeout)
	err := c.ws.Ping(ctx)
	cancel()
	if err != nil {
		c.closeWith(websocket.StatusPolicyViolation, "no pong")
		return
	}
	c.wmu.Lock()
	if !c.finished {
		c.pinger.Reset(c.g.cfg.PingInterval)
	}
	c.wmu.Unlock()
}

// room returns the joined room's ID, or "".
func (c *conn) room() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.roomID
}

// deliver hands runs of room events (fanout.go) to the connection: held
// back while it is joining, and skipped as far as its snapshot or replay
// already covered them. The fan-out has already left out what is not for
// this connection's user.
func (c *conn) deliver(roomID string, runs []*run, urgent bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.roomID != roomID {
		return
	}
	for _, r := range runs {
		if c.syncing {
			for i, f := range r.frames {
				if len(c.pending) >= c.g.cfg.SendBuffer {
					c.g.stats.slowConsumers.Add(1)
					c.closeWith(websocket.StatusPolicyViolation, "too slow to keep up with the room")
					return
				}
				c.pending = append(c.pending, syncedFrame{seq: r.seqs[i], frame: f})
			}
			continue
		}
		last := r.seqs[len(r.seqs)-1]
		if last <= c.lastSeq {
			continue
		}
		if r.seqs[0] > c.lastSeq {
			c.sendEventsFramed(r.frames, r.msg, r.framed, last, urgent)
		} else {
			// Right after a join, a round may overlap the snapshot.
			for i, seq := range r.seqs {
				if seq > c.lastSeq {
					c.sendEvents(r.frames[i:i+1], r.frames[i], seq, urgent)
				}
			}
		}
		c.lastSeq = last
	}
}

// Media session bookkeeping: sessions opened on this connection.

func (c *conn) addSession(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sessions == nil {
		c.sessions = make(map[string]struct{})
	}
	c.sessions[id] = struct{}{}
}

func (c *conn) hasSession(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.sessions[id]
	return ok
}

func (c *conn) dropSession(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.sessions, id)
}

func (c *conn) sessionCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sessions)
}

// closeSessions ends the connection's media sessions when it goes away.
func (c *conn) closeSessions() {
	c.mu.Lock()
	ids := make([]string, 0, len(c.sessions))
	for id := range c.sessions {
		ids = append(ids, id)
	}
	c.sessions = nil
	c.mu.Unlock()
	if len(ids) == 0 || c.g.media == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.g.cfg.RequestTimeout)
	defer cancel()
	for _, id := range ids {
		if err := c.g.media.Close(ctx, id); err != nil && !errors.Is(err, ErrUnknownSession) {
			c.g.log.Warn("close media session", "session", id, "err", err)
		}
	}
}
