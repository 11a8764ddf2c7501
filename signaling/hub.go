package signaling

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/events"
	"github.com/bidcast/bidcast/internal/accessnotice"
)

// hub holds this node's rooms: the local connections of each room that has
// any, and the node's Redis subscriptions to their event channels. All
// subscriptions share one pub/sub connection, read by one goroutine (run);
// a room's subscription starts when its first local connection joins and
// stops when its last one leaves.
type hub struct {
	g  *Gateway
	ps *redis.PubSub

	// mu guards rooms and orders SUBSCRIBE/UNSUBSCRIBE commands, so a room
	// that empties and fills again is never left unsubscribed.
	mu    sync.Mutex
	rooms map[string]*room // by channel name
}

// room is one room's local audience.
type room struct {
	id      string
	channel string
	// ready is closed once Redis confirms the subscription; events published
	// after that reach this node.
	ready     chan struct{}
	readyOnce sync.Once

	// mu guards the audience: every connection, and the same by user.
	mu     sync.RWMutex
	conns  map[*conn]struct{}
	byUser map[string]map[*conn]struct{}

	// Owned by the hub's receive goroutine.
	lastSeq int64

	// fmu guards the events waiting for the room's flusher (fanout.go).
	fmu      sync.Mutex
	backlog  []roomEvent
	flushing bool
	// viewers is the room's last total over all nodes, written by the
	// viewer publisher and read by joins.
	viewers atomic.Int64
}

func newHub(g *Gateway) *hub {
	// A pub/sub with only the access notices yet: connections subscribe it
	// to rooms.
	return &hub{g: g, ps: g.rdb.Subscribe(context.Background(), accessnotice.Channel), rooms: make(map[string]*room)}
}

// add puts c in roomID's audience, subscribing this node to the room if c is
// its first local connection, and waits until the subscription is live.
func (h *hub) add(ctx context.Context, c *conn, roomID string) (*room, error) {
	ch := events.Channel(roomID)
	h.mu.Lock()
	r := h.rooms[ch]
	if r == nil {
		r = &room{id: roomID, channel: ch, ready: make(chan struct{}), conns: make(map[*conn]struct{}),
			byUser: make(map[string]map[*conn]struct{})}
		h.rooms[ch] = r
		if err := h.ps.Subscribe(ctx, ch); err != nil {
			delete(h.rooms, ch)
			h.mu.Unlock()
			return nil, err
		}
	}
	r.mu.Lock()
	r.conns[c] = struct{}{}
	if r.byUser[c.id.UserID] == nil {
		r.byUser[c.id.UserID] = make(map[*conn]struct{}, 1)
	}
	r.byUser[c.id.UserID][c] = struct{}{}
	r.mu.Unlock()
	h.mu.Unlock()
	select {
	case <-r.ready:
		return r, nil
	case <-ctx.Done():
		h.remove(c, roomID)
		return nil, ctx.Err()
	}
}

// remove takes c out of roomID's audience, unsubscribing the node from the
// room when it was the last local connection.
func (h *hub) remove(c *conn, roomID string) {
	ch := events.Channel(roomID)
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[ch]
	if r == nil {
		return
	}
	r.mu.Lock()
	delete(r.conns, c)
	if mine := r.byUser[c.id.UserID]; mine != nil {
		delete(mine, c)
		if len(mine) == 0 {
			delete(r.byUser, c.id.UserID)
		}
	}
	empty := len(r.conns) == 0
	r.mu.Unlock()
	if !empty {
		return
	}
	delete(h.rooms, ch)
	// An error here means the pub/sub connection is broken; it resubscribes
	// only to the channels still wanted when it reconnects.
	_ = h.ps.Unsubscribe(context.Background(), ch)
}

// list returns the rooms with local connections.
func (h *hub) list() []*room {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*room, 0, len(h.rooms))
	for _, r := range h.rooms {
		out = append(out, r)
	}
	return out
}

func (h *hub) lookup(channel string) *room {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rooms[channel]
}

// close ends the pub/sub connection, which ends run.
func (h *hub) close() { _ = h.ps.Close() }

// healthEvery is how long the receive loop waits for a message before it
// pings Redis, so a dead pub/sub connection is noticed and replaced.
const healthEvery = 15 * time.Second

// run receives from Redis and fans each event out until ctx ends or the
// pub/sub is closed.
func (h *hub) run(ctx context.Context) {
	broken := false
	for {
		msg, err := h.ps.ReceiveTimeout(ctx, healthEvery)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, redis.ErrClosed) {
				return
			}
			var timeout interface{ Timeout() bool }
			if errors.As(err, &timeout) && timeout.Timeout() {
				_ = h.ps.Ping(ctx)
				continue
			}
			// The connection is gone; the next receive reconnects and
			// resubscribes, and events missed meanwhile are read back from
			// the log once each subscription is confirmed.
			if !broken {
				h.g.log.Warn("room events subscription lost", "err", err)
			}
			broken = true
			select {
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind != "subscribe" {
				continue
			}
			if m.Channel == accessnotice.Channel {
				if broken {
					// Notices sent while cut off are lost: re-check all.
					h.g.revoker.recheckAll()
				}
				continue
			}
			if r := h.lookup(m.Channel); r != nil {
				h.subscribed(ctx, r, broken)
			}
		case *redis.Message:
			broken = false
			if m.Channel == accessnotice.Channel {
				h.g.revoker.notify(m.Payload)
				continue
			}
			if r := h.lookup(m.Channel); r != nil {
				h.relay(ctx, r, m.Payload)
			}
		}
	}
}

// subscribed marks r live. After a reconnect it also reads back the events
// the node missed while it was cut off.
func (h *hub) subscribed(ctx context.Context, r *room, afterOutage bool) {
	first := false
	r.readyOnce.Do(func() { first = true })
	if first {
		if seq, err := h.g.events.LastSeq(ctx, r.id); err == nil {
			r.lastSeq = seq
		}
		close(r.ready)
		return
	}
	if afterOutage {
		h.catchUp(ctx, r)
	}
}

// relay passes one published event on to the room's fan-out (fanout.go).
func (h *hub) relay(ctx context.Context, r *room, payload string) {
	ev, err := events.Decode(payload)
	if err != nil {
		h.g.log.Error("bad room event on channel", "room", r.id, "err", err)
		return
	}
	if r.lastSeq > 0 && ev.Seq > r.lastSeq+1 {
		// Pub/sub lost something (a reconnect): fill the gap from the log
		// first so every connection still sees events in order.
		h.catchUp(ctx, r)
	}
	h.enqueue(r, ev)
}

// catchUp reads the events after r.lastSeq from the log and passes them on.
// If the log no longer has them, every local connection is resynced with a
// fresh snapshot.
func (h *hub) catchUp(ctx context.Context, r *room) {
	evs, err := h.g.events.Since(ctx, r.id, r.lastSeq, events.Retention)
	if err != nil {
		h.g.log.Warn("room events lost; resyncing connections", "room", r.id, "err", err)
		r.mu.RLock()
		conns := make([]*conn, 0, len(r.conns))
		for c := range r.conns {
			conns = append(conns, c)
		}
		r.mu.RUnlock()
		for _, c := range conns {
			// The connection picks a snapshot up by rejoining; closing it
			// with "try again later" makes its client do exactly that.
			c.closeWith(websocket.StatusTryAgainLater, "missed room events; reconnect to resync")
		}
		return
	}
	for _, ev := range evs {
		h.enqueue(r, ev)
	}
}
