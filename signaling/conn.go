package signaling

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"
)

// conn is one client connection.
//
// Concurrency: the HTTP server's goroutine runs serve, which reads and
// handles requests one at a time (so a client's bids keep their order); one
// writer goroutine owns every write and the close handshake; a ping runs in a
// short-lived goroutine of its own. Anyone may call send, which never blocks,
// and closeWith. mu guards the room membership and media sessions.
type conn struct {
	g   *Gateway
	ws  *websocket.Conn
	id  Identity
	out chan []byte

	ctx    context.Context
	cancel context.CancelFunc

	closeOnce   sync.Once
	closing     chan struct{}
	closeStatus websocket.StatusCode
	closeReason string

	msgLimit  *rate.Limiter
	chatLimit *rate.Limiter
	bidLimit  *rate.Limiter

	mu       sync.Mutex
	roomID   string
	lastSeq  int64         // last room event seq delivered (or covered by a snapshot)
	syncing  bool          // joining: events wait in pending until the snapshot is out
	pending  []syncedFrame // events received while syncing
	sessions map[string]struct{}
}

// syncedFrame is a room event waiting for a joining connection.
type syncedFrame struct {
	seq   int64
	frame []byte
}

func newConn(g *Gateway, ws *websocket.Conn, id Identity) *conn {
	ctx, cancel := context.WithCancel(g.base)
	return &conn{g: g, ws: ws, id: id, out: make(chan []byte, g.cfg.SendBuffer),
		ctx: ctx, cancel: cancel, closing: make(chan struct{}),
		msgLimit:  rate.NewLimiter(g.cfg.MessageRate, g.cfg.MessageBurst),
		chatLimit: rate.NewLimiter(g.cfg.ChatRate, g.cfg.ChatBurst),
		bidLimit:  rate.NewLimiter(g.cfg.BidRate, g.cfg.BidBurst)}
}

// serve runs the connection until it closes, then leaves its room and ends
// its media sessions. It returns after the writer and any ping have ended.
func (c *conn) serve() {
	// The library enforces the larger media limit; the smaller limit for
	// other messages is checked after decoding, so a client gets a
	// too_large error instead of losing its connection.
	c.ws.SetReadLimit(c.g.cfg.MediaReadLimit)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); c.writeLoop(&wg) }()
	c.readLoop()
	c.closeWith(websocket.StatusNormalClosure, "")
	c.leave()
	c.closeSessions()
	wg.Wait()
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

// send queues a message without blocking. A connection whose buffer is full
// cannot keep up with its room; it is closed with a policy violation so it
// never holds up the fan-out, and the client reconnects and resumes.
func (c *conn) send(frame []byte) {
	select {
	case <-c.closing:
		return
	default:
	}
	select {
	case c.out <- frame:
	default:
		c.g.stats.slowConsumers.Add(1)
		c.closeWith(websocket.StatusPolicyViolation, "too slow to keep up with the room")
	}
}

// closeWith asks the writer to close the connection with status; only the
// first call counts.
func (c *conn) closeWith(status websocket.StatusCode, reason string) {
	c.closeOnce.Do(func() {
		c.closeStatus, c.closeReason = status, reason
		close(c.closing)
	})
}

// writeLoop writes queued messages, pings on schedule, and performs the
// close handshake when asked. wg tracks the ping goroutine.
func (c *conn) writeLoop(wg *sync.WaitGroup) {
	ping := time.NewTicker(c.g.cfg.PingInterval)
	defer ping.Stop()
	pinging := make(chan struct{}, 1)
	for {
		select {
		case frame := <-c.out:
			if err := c.write(frame); err != nil {
				c.closeWith(websocket.StatusPolicyViolation, "write timed out")
			}
		case <-ping.C:
			select {
			case pinging <- struct{}{}:
			default:
				continue // the last ping is still waiting for its pong
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-pinging }()
				ctx, cancel := context.WithTimeout(c.ctx, c.g.cfg.PongTimeout)
				defer cancel()
				if err := c.ws.Ping(ctx); err != nil {
					c.closeWith(websocket.StatusPolicyViolation, "no pong")
				}
			}()
		case <-c.closing:
			c.flush()
			// Close waits for the peer's close frame (read by readLoop) up to
			// the library's own timeouts, then unblocks every reader.
			_ = c.ws.Close(c.closeStatus, c.closeReason)
			return
		case <-c.ctx.Done():
			_ = c.ws.CloseNow()
			return
		}
	}
}

// flush writes what is already queued (a final error, say) before a close,
// except for a slow consumer, which would not read it anyway.
func (c *conn) flush() {
	if c.closeStatus == websocket.StatusPolicyViolation {
		return
	}
	for {
		select {
		case frame := <-c.out:
			if c.write(frame) != nil {
				return
			}
		default:
			return
		}
	}
}

func (c *conn) write(frame []byte) error {
	ctx, cancel := context.WithTimeout(c.ctx, c.g.cfg.WriteTimeout)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, frame); err != nil {
		return err
	}
	c.g.stats.messagesOut.Add(1)
	return nil
}

// room returns the joined room's ID, or "".
func (c *conn) room() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.roomID
}

// deliver hands a room event to the connection: held back while it is
// joining, skipped if already covered by its snapshot or replay, or if it
// is private to someone else.
func (c *conn) deliver(roomID string, seq int64, to string, frame []byte) {
	if to != "" && to != c.id.UserID {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.roomID != roomID {
		return
	}
	if c.syncing {
		if len(c.pending) >= c.g.cfg.SendBuffer {
			c.g.stats.slowConsumers.Add(1)
			c.closeWith(websocket.StatusPolicyViolation, "too slow to keep up with the room")
			return
		}
		c.pending = append(c.pending, syncedFrame{seq: seq, frame: frame})
		return
	}
	if seq <= c.lastSeq {
		return
	}
	c.lastSeq = seq
	c.send(frame)
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
