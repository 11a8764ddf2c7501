package signaling

import (
	"context"
	"sync/atomic"

	"github.com/coder/websocket"

	"github.com/bidcast/bidcast/internal/accessnotice"
)

// revoker applies access notices to this node's open connections. Rights
// are read once, at the upgrade and at join; when a role, a ban or a room's
// privacy changes, whoever changed it publishes a notice on
// accessnotice.Channel, every node's hub receives it, and the revoker
// re-reads the rights of the connections it names and closes those that
// lost them (StatusRightsChanged, StatusAccessRevoked).
//
// Concurrency: the hub's receive goroutine hands notices over with notify,
// which never blocks (the fan-out of room events must not wait on
// Postgres); one goroutine, run, applies them in order. If notices come
// faster than they are applied, the overflow is replaced by a re-check of
// every connection, so none is ever lost.
type revoker struct {
	g       *Gateway
	notices chan accessnotice.Notice
	// all asks run to re-check every connection (queue overflow, or the
	// pub/sub connection came back after notices may have been missed).
	all  atomic.Bool
	wake chan struct{}
}

// noticeQueue bounds the notices waiting to be applied.
const noticeQueue = 256

func newRevoker(g *Gateway) *revoker {
	return &revoker{g: g, notices: make(chan accessnotice.Notice, noticeQueue), wake: make(chan struct{}, 1)}
}

// notify queues a notice received from Redis.
func (r *revoker) notify(payload string) {
	n, err := accessnotice.Parse(payload)
	if err != nil {
		r.g.log.Warn("bad access notice", "err", err)
		return
	}
	select {
	case r.notices <- n:
	default:
		r.recheckAll()
	}
}

// recheckAll asks for every connection to be re-checked.
func (r *revoker) recheckAll() {
	r.all.Store(true)
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// run applies notices until ctx ends.
func (r *revoker) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-r.notices:
			r.apply(ctx, n)
		case <-r.wake:
		}
		if r.all.Swap(false) {
			r.apply(ctx, accessnotice.Notice{})
		}
	}
}

// apply re-checks the connections n names; the zero Notice names them all.
func (r *revoker) apply(ctx context.Context, n accessnotice.Notice) {
	g := r.g
	if n.RoomID != "" {
		g.rooms.forget(n.RoomID)
	}
	everything := n == accessnotice.Notice{}
	reloadUsers := everything || n.RoomID == ""
	loaded := map[string]identityResult{}
	for _, c := range g.connections() {
		if n.UserID != "" && c.id.UserID != n.UserID {
			continue
		}
		roomID := c.room()
		if n.RoomID != "" && roomID != n.RoomID {
			continue
		}
		if reloadUsers {
			res, ok := loaded[c.id.UserID]
			if !ok {
				res = r.load(ctx, c.id.UserID)
				loaded[c.id.UserID] = res
			}
			if res.revoked != nil {
				c.revoke(StatusAccessRevoked, revokeReason(res.revoked))
				continue
			}
			if res.known && !sameRights(res.id, c.id) {
				c.revoke(StatusRightsChanged, "rights_changed: your account's rights changed; reconnect")
				continue
			}
		}
		if roomID == "" {
			continue
		}
		if err := r.watchCheck(ctx, c); err != nil {
			code, _, internal := classify(err)
			if internal || code == CodeUnavailable {
				g.log.Warn("re-check room access", "room", roomID, "user", c.id.UserID, "err", err)
				continue
			}
			if code == CodeRoomNotLive {
				continue // the auction guard refuses what comes next anyway
			}
			c.revoke(StatusAccessRevoked, revokeReason(err))
		}
	}
}

// watchCheck is mayStillWatch with a request's time bound.
func (r *revoker) watchCheck(ctx context.Context, c *conn) error {
	ctx, cancel := context.WithTimeout(ctx, r.g.cfg.RequestTimeout)
	defer cancel()
	return r.g.mayStillWatch(ctx, c)
}

// identityResult is one user's reloaded identity: known when it could be
// read, revoked when the account may no longer connect at all.
type identityResult struct {
	id      Identity
	known   bool
	revoked error
}

// load reads a user's identity now. Without an IdentityLoader the gateway
// cannot tell what changed, so it treats every user notice as a change.
func (r *revoker) load(ctx context.Context, userID string) identityResult {
	if r.g.identities == nil {
		return identityResult{id: Identity{Role: "unknown"}, known: true}
	}
	ctx, cancel := context.WithTimeout(ctx, r.g.cfg.RequestTimeout)
	defer cancel()
	id, err := r.g.identities.LoadIdentity(ctx, userID)
	if err == nil {
		return identityResult{id: id, known: true}
	}
	code, _, internal := classify(err)
	if !internal && (code == CodeBanned || code == CodeUnauthorized || code == CodeForbidden) {
		return identityResult{revoked: err}
	}
	r.g.log.Warn("reload identity after access notice", "user", userID, "err", err)
	return identityResult{}
}

// connections returns this node's open connections.
func (g *Gateway) connections() []*conn {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]*conn, 0, len(g.conns))
	for c := range g.conns {
		out = append(out, c)
	}
	return out
}

// revoke tells the client why and closes the connection with status; the
// reason fits a close frame (at most 123 bytes).
func (c *conn) revoke(status websocket.StatusCode, reason string) {
	if len(reason) > 120 {
		reason = reason[:120]
	}
	c.g.log.Info("connection's access revoked", "user", c.id.UserID, "status", int(status), "reason", reason)
	c.closeWith(status, reason)
}
