package cluster

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// A room's media origin is the node its publisher reached; it is recorded
// under the room's hash tag, refreshed at each heartbeat of that node, and
// lapses DropAfter after the node dies. The relays of a room are the other
// nodes that subscribed to the origin to serve viewers of their own.

func originKey(roomID string) string { return "bidcast:{" + roomID + "}:origin" }
func relaysKey(roomID string) string { return "bidcast:{" + roomID + "}:relays" }

// clearOriginScript deletes a room's origin only if it is still this node.
var clearOriginScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// SetOrigin records this node as roomID's media origin, at once (a
// publisher joined), rather than at the next heartbeat.
func (r *Registry) SetOrigin(ctx context.Context, roomID string) {
	if err := r.rdb.Set(ctx, originKey(roomID), r.cfg.NodeID, r.cfg.DropAfter).Err(); err != nil {
		r.log.Warn("recording media origin failed", "room", roomID, "err", err)
	}
}

// ClearOrigin withdraws this node as roomID's origin (its publisher left),
// unless another node has become the origin since.
func (r *Registry) ClearOrigin(ctx context.Context, roomID string) {
	err := clearOriginScript.Run(ctx, r.rdb, []string{originKey(roomID)}, r.cfg.NodeID).Err()
	if err != nil && !errors.Is(err, redis.Nil) {
		r.log.Warn("clearing media origin failed", "room", roomID, "err", err)
	}
}

// SetRelay records that this node relays roomID (true) or no longer does.
func (r *Registry) SetRelay(ctx context.Context, roomID string, on bool) {
	var err error
	if on {
		pipe := r.rdb.Pipeline()
		pipe.HSet(ctx, relaysKey(roomID), r.cfg.NodeID, r.now().UnixMilli())
		pipe.PExpire(ctx, relaysKey(roomID), forgetAfter)
		_, err = pipe.Exec(ctx)
	} else {
		err = r.rdb.HDel(ctx, relaysKey(roomID), r.cfg.NodeID).Err()
	}
	if err != nil {
		r.log.Warn("recording media relay failed", "room", roomID, "relay", on, "err", err)
	}
}

// Origin returns the live node that is roomID's media origin; ok is false
// when no live node is.
func (r *Registry) Origin(ctx context.Context, roomID string) (n Node, ok bool, err error) {
	id, err := r.rdb.Get(ctx, originKey(roomID)).Result()
	if errors.Is(err, redis.Nil) {
		return Node{}, false, nil
	}
	if err != nil {
		return Node{}, false, fmt.Errorf("read media origin of room %s: %w", roomID, err)
	}
	return r.node(ctx, id)
}

// serving returns the node that is roomID's origin ("" for none) and the
// nodes relaying it now.
func (r *Registry) serving(ctx context.Context, roomID string) (origin string, relays map[string]bool, err error) {
	pipe := r.rdb.Pipeline()
	o := pipe.Get(ctx, originKey(roomID))
	rs := pipe.HGetAll(ctx, relaysKey(roomID))
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return "", nil, fmt.Errorf("read media nodes of room %s: %w", roomID, err)
	}
	relays = map[string]bool{}
	for id, at := range rs.Val() {
		if id != o.Val() && r.now().Sub(millis(at)) <= r.cfg.DropAfter {
			relays[id] = true
		}
	}
	return o.Val(), relays, nil
}

// Place chooses the node a new viewer of roomID should watch on. The
// origin is kept for its publisher and its relays while another node can
// take the viewer, so its cost grows with edges, not viewers. The choice is
// the least loaded node already relaying the room that has room for one
// more viewer (NodeViewers), else the least loaded node with room other
// than the origin (which will relay the room), else here; a node whose last
// heartbeat is more than 1.5 heartbeats old is never chosen. This node wins
// ties, so a lone node, or a cluster with nothing to choose between, never
// redirects. self reports whether the choice is this node.
func (r *Registry) Place(ctx context.Context, roomID string) (n Node, self bool, err error) {
	nodes, err := r.Nodes(ctx)
	if err != nil || len(nodes) <= 1 {
		return Node{}, true, err
	}
	origin, relays, err := r.serving(ctx, roomID)
	if err != nil || origin == "" {
		// Nobody publishes the room: nothing to choose, answer here.
		return Node{}, true, err
	}
	// A node that missed its last heartbeat may be dead: it stays listed
	// (and trusted as an origin or relay) until DropAfter, but no new viewer
	// is sent to it, so viewers leaving a killed node are not sent back.
	now := r.now()
	open := func(n Node) bool {
		return n.Viewers < r.cfg.NodeViewers && (n.ID == r.cfg.NodeID || now.Sub(n.SeenAt) <= r.cfg.Heartbeat*3/2)
	}
	best := func(ok func(Node) bool) (Node, bool) {
		var b Node
		found := false
		for _, n := range nodes {
			if !ok(n) {
				continue
			}
			if !found || n.Viewers < b.Viewers || (n.Viewers == b.Viewers && n.ID == r.cfg.NodeID) {
				b, found = n, true
			}
		}
		return b, found
	}
	for _, n := range nodes {
		if n.ID == r.cfg.NodeID && relays[n.ID] && open(n) {
			return n, true, nil // relaying here already, with room
		}
	}
	if b, ok := best(func(n Node) bool { return relays[n.ID] && open(n) }); ok {
		return b, b.ID == r.cfg.NodeID, nil
	}
	if b, ok := best(func(n Node) bool { return n.ID != origin && open(n) }); ok {
		return b, b.ID == r.cfg.NodeID, nil
	}
	return Node{}, true, nil
}
