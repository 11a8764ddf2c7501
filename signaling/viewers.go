package signaling

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/events"
)

// viewers publishes this node's viewer count of each room to Redis and
// sends each room's total, summed over every node, to its local
// connections: at most once per ViewerInterval, and only when it changed.
//
// Each node writes its own field of the room's hash with an expiry stamp,
// refreshed every interval; a node that dies simply stops refreshing, and
// readers ignore (and remove) its stale field. This needs no hash-field TTL,
// so it works on any Redis 6 or 7.
type viewers struct {
	g *Gateway
	// written are rooms this node has a field in, so it can remove the
	// field when the room's last local viewer leaves. Owned by run.
	written map[string]bool
}

func newViewers(g *Gateway) *viewers { return &viewers{g: g, written: make(map[string]bool)} }

// staleAfter is how many intervals a node's count survives without a
// refresh.
const staleAfter = 3

// run ticks until ctx ends.
func (v *viewers) run(ctx context.Context) {
	t := time.NewTicker(v.g.cfg.ViewerInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			v.forget(v.written)
			return
		case <-t.C:
			v.tick(ctx)
		}
	}
}

// tick publishes this node's counts, reads the totals and sends the changed
// ones, in two pipelined round trips for all rooms.
func (v *viewers) tick(ctx context.Context) {
	rooms := v.g.hub.list()
	now := v.g.cfg.Now()
	expires := strconv.FormatInt(now.Add(staleAfter*v.g.cfg.ViewerInterval).UnixMilli(), 10)
	live := make(map[string]bool, len(rooms))
	totals := make([]*redis.MapStringStringCmd, len(rooms))
	_, err := v.g.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, r := range rooms {
			r.mu.RLock()
			n := len(r.conns)
			r.mu.RUnlock()
			live[r.id] = true
			v.written[r.id] = true
			p.HSet(ctx, viewersKey(r.id), v.g.cfg.NodeID, strconv.Itoa(n)+":"+expires)
			p.Expire(ctx, viewersKey(r.id), time.Hour)
			totals[i] = p.HGetAll(ctx, viewersKey(r.id))
		}
		return nil
	})
	if err != nil {
		if ctx.Err() == nil {
			v.g.log.Warn("publish viewer counts", "err", err)
		}
		return
	}
	gone := map[string]bool{}
	for id := range v.written {
		if !live[id] {
			gone[id] = true
			delete(v.written, id)
		}
	}
	v.forget(gone)
	for i, r := range rooms {
		total, stale := sumViewers(totals[i].Val(), now)
		if len(stale) > 0 {
			v.g.rdb.HDel(ctx, viewersKey(r.id), stale...)
		}
		if r.viewers.Swap(total) == total {
			continue
		}
		frame := encode(TypeViewers, "", 0, ViewersData{Count: total})
		r.mu.RLock()
		for c := range r.conns {
			c.send(frame)
		}
		r.mu.RUnlock()
	}
}

// forget removes this node's field from rooms it no longer has viewers in.
func (v *viewers) forget(rooms map[string]bool) {
	if len(rooms) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, _ = v.g.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for id := range rooms {
			p.HDel(ctx, viewersKey(id), v.g.cfg.NodeID)
		}
		return nil
	})
}

// sumViewers adds up the fresh per-node counts and lists the stale fields.
func sumViewers(fields map[string]string, now time.Time) (total int64, stale []string) {
	ms := now.UnixMilli()
	for node, val := range fields {
		count, exp, ok := strings.Cut(val, ":")
		n, err1 := strconv.ParseInt(count, 10, 64)
		e, err2 := strconv.ParseInt(exp, 10, 64)
		if !ok || err1 != nil || err2 != nil || e < ms {
			stale = append(stale, node)
			continue
		}
		total += n
	}
	return total, stale
}

// count returns the room's last known total for a snapshot. Until the first
// tick it is at least this node's own viewers.
func (v *viewers) count(r *room) int64 {
	r.mu.RLock()
	n := int64(len(r.conns))
	r.mu.RUnlock()
	if last := r.viewers.Load(); last > n {
		return last
	}
	return n
}

// Present reports whether anyone is connected to roomID on any node: a
// fresh count above zero in the room's viewer hash, or a connection here
// that the next tick has not counted yet. The bid pipeline asks it before
// it parks an idle room.
func (g *Gateway) Present(ctx context.Context, roomID string) (bool, error) {
	if r := g.hub.lookup(events.Channel(roomID)); r != nil {
		r.mu.RLock()
		n := len(r.conns)
		r.mu.RUnlock()
		if n > 0 {
			return true, nil
		}
	}
	fields, err := g.rdb.HGetAll(ctx, viewersKey(roomID)).Result()
	if err != nil {
		return false, fmt.Errorf("read viewers of room %s: %w", roomID, err)
	}
	total, _ := sumViewers(fields, g.cfg.Now())
	return total > 0, nil
}
