package cluster

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// SFULink adapts the registry to the SFU: it implements sfu.Cluster (where
// a room's origin is, the relay bearer, this node's media changes) and
// sfu.Placer (where a new WHEP viewer should watch). Get it from
// Registry.SFU.
type SFULink struct{ r *Registry }

// mediaEvent is one change of this node's media, recorded in order.
type mediaEvent struct {
	roomID    string
	relay, on bool
}

// SFU returns the registry's adapter for the SFU.
func (r *Registry) SFU() SFULink { return SFULink{r: r} }

// Locate returns the WHEP URL of roomID on its origin node, when that is
// another live node.
func (l SFULink) Locate(ctx context.Context, roomID string) (string, bool, error) {
	n, ok, err := l.r.Origin(ctx, roomID)
	if err != nil || !ok || n.ID == l.r.cfg.NodeID {
		return "", false, err
	}
	return whepURL(n, roomID), true, nil
}

// RelayToken is the bearer an edge presents to an origin to relay roomID:
// an HMAC of the room under the cluster secret, so a token that leaks opens
// one room's stream only. "" when no secret is set (relaying off).
func (l SFULink) RelayToken(roomID string) string {
	if l.r.cfg.Secret == "" {
		return ""
	}
	m := hmac.New(sha256.New, []byte(l.r.cfg.Secret))
	m.Write([]byte("bidcast relay\x00" + roomID))
	return "relay." + hex.EncodeToString(m.Sum(nil))
}

// MediaChanged records, in order and off the caller's goroutine, that this
// node became or stopped being roomID's origin or relay. Changes made
// while the registry is not running, or beyond its queue, are left to the
// next heartbeat.
func (l SFULink) MediaChanged(roomID string, relay, on bool) {
	select {
	case l.r.events <- mediaEvent{roomID: roomID, relay: relay, on: on}:
	default:
	}
}

// Place returns "" to serve a new WHEP viewer of roomID here, or the WHEP
// URL of the node it should watch on (see Registry.Place). Without a
// cluster secret no node relays, so viewers are sent to the origin.
func (l SFULink) Place(ctx context.Context, roomID string) (string, error) {
	if l.r.cfg.Secret == "" {
		n, ok, err := l.r.Origin(ctx, roomID)
		if err != nil || !ok || n.ID == l.r.cfg.NodeID {
			return "", err
		}
		return whepURL(n, roomID), nil
	}
	n, self, err := l.r.Place(ctx, roomID)
	if err != nil || self {
		return "", err
	}
	return whepURL(n, roomID), nil
}

func whepURL(n Node, roomID string) string { return n.PublicURL + "/whep/" + roomID }

// applyEvents records media changes until ctx ends.
func (r *Registry) applyEvents(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-r.events:
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			switch {
			case e.relay:
				r.SetRelay(wctx, e.roomID, e.on)
			case e.on:
				r.SetOrigin(wctx, e.roomID)
			default:
				r.ClearOrigin(wctx, e.roomID)
			}
			cancel()
		}
	}
}
