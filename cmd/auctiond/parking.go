package main

import (
	"context"

	"github.com/bidcast/bidcast/bidding"
	"github.com/bidcast/bidcast/cluster"
	"github.com/bidcast/bidcast/sfu"
	"github.com/bidcast/bidcast/signaling"
)

// The plugs of parking (bidding/park.go): who is in a room, asked by the
// bid pipeline before it parks one, and the media routes that wake a
// parked room, which the SFU cannot ask bidding for itself.

// roomPresence is bidding's Presence: a room has someone in it while a
// live node is its media origin (a publisher) or any gateway node counts
// a connection in it (viewers, the seller's studio).
type roomPresence struct {
	cluster *cluster.Registry
	gateway *signaling.Gateway
}

var _ bidding.Presence = roomPresence{}

// Present implements bidding.Presence.
func (p roomPresence) Present(ctx context.Context, roomID string) (bool, error) {
	if _, ok, err := p.cluster.Origin(ctx, roomID); err != nil || ok {
		return ok, err
	}
	return p.gateway.Present(ctx, roomID)
}

// wakingMedia is the SFU's Authorizer that wakes a parked room when a
// publisher (WHIP) or a viewer (WHEP) is let in.
type wakingMedia struct {
	sfu.Authorizer
	waker bidding.Waker
}

// AuthorizePublish implements sfu.Authorizer.
func (m wakingMedia) AuthorizePublish(ctx context.Context, roomID, token string) error {
	if err := m.Authorizer.AuthorizePublish(ctx, roomID, token); err != nil {
		return err
	}
	m.waker.Wake(roomID)
	return nil
}

// AuthorizeView implements sfu.Authorizer.
func (m wakingMedia) AuthorizeView(ctx context.Context, roomID, token string) error {
	if err := m.Authorizer.AuthorizeView(ctx, roomID, token); err != nil {
		return err
	}
	m.waker.Wake(roomID)
	return nil
}
