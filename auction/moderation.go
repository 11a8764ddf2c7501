package auction

import (
	"context"
	"fmt"
	"time"
)

// ModStatus is a user's standing in a room, as the chat layer needs it.
type ModStatus struct {
	// UserID is empty in a room-wide event (slow mode).
	UserID string
	Banned bool
	Muted  bool
	// MutedUntil is when a timed mute ends; zero with Muted means until
	// unmuted.
	MutedUntil time.Time
	// SlowModeMS is the least interval between one user's chat messages
	// in the room; zero is off.
	SlowModeMS int64
}

// CanChat reports whether the user may post a chat message at now (slow
// mode is the chat layer's to enforce per user, using SlowModeMS).
func (s ModStatus) CanChat(now time.Time) bool {
	if s.Banned {
		return false
	}
	return !s.Muted || (!s.MutedUntil.IsZero() && !now.Before(s.MutedUntil))
}

// moderation is a room's bans, mutes and slow mode. It is allocated on the
// first moderation command so an orderly room costs nothing. It lives in
// memory: the gateway learns of every change from moderation events and is
// the place to persist them.
type moderation struct {
	banned map[string]struct{}
	muted  map[string]time.Time // zero: until unmuted
	slow   time.Duration
}

// banned reports whether user is banned; used on every bid.
func (r *Room) banned(user string) bool {
	if r.mod == nil {
		return false
	}
	_, ok := r.mod.banned[user]
	return ok
}

// modStatus returns user's standing at now.
func (r *Room) modStatus(now time.Time, user string) ModStatus {
	s := ModStatus{UserID: user}
	m := r.mod
	if m == nil {
		return s
	}
	s.SlowModeMS = m.slow.Milliseconds()
	if user == "" {
		return s
	}
	_, s.Banned = m.banned[user]
	if until, ok := m.muted[user]; ok && (until.IsZero() || now.Before(until)) {
		s.Muted, s.MutedUntil = true, until
	}
	return s
}

// moderate applies a moderation command and announces the new standing.
func (r *Room) moderate(ctx context.Context, now time.Time, kind cmdKind, user string, d time.Duration) (ModStatus, error) {
	if kind != cmdSlow && (user == "" || user == r.cfg.SellerID) {
		return ModStatus{}, fmt.Errorf("%w: cannot moderate user %q", ErrBadTransition, user)
	}
	if d < 0 {
		return ModStatus{}, fmt.Errorf("%w: negative moderation duration", ErrBadTransition)
	}
	if r.mod == nil {
		r.mod = &moderation{banned: map[string]struct{}{}, muted: map[string]time.Time{}}
	}
	m := r.mod
	switch kind {
	case cmdBan:
		if err := r.dropProxy(ctx, user); err != nil {
			return ModStatus{}, err
		}
		m.banned[user] = struct{}{}
	case cmdUnban:
		delete(m.banned, user)
	case cmdMute:
		var until time.Time
		if d > 0 {
			until = now.Add(d)
		}
		m.muted[user] = until
	case cmdUnmute:
		delete(m.muted, user)
	case cmdSlow:
		m.slow = d
		user = ""
	}
	s := r.modStatus(now, user)
	e := Event{Type: EventModeration, Moderation: &s}
	if r.cur != nil {
		e.LotID = r.cur.lot.ID
	}
	r.emit(now, e)
	return s, nil
}

// dropProxy removes a banned user's proxy maximum from the active lot so
// the actor stops bidding for them. A bid they already placed stands: bids
// are binding; the seller can end or skip the lot if that matters.
func (r *Room) dropProxy(ctx context.Context, user string) error {
	c := r.cur
	if c == nil || !c.st.Status.Active() || c.st.proxyOf(user) < 0 {
		return nil
	}
	ns := c.st
	ns.Proxies = make([]ProxyMax, 0, len(c.st.Proxies)-1)
	for _, p := range c.st.Proxies {
		if p.BidderID != user {
			ns.Proxies = append(ns.Proxies, p)
		}
	}
	if len(ns.Proxies) == 0 {
		ns.Proxies = nil
	}
	ns.Version++
	if err := r.commitLot(ctx, ns); err != nil {
		return err
	}
	c.st = ns
	return nil
}

// Mute stops user from chatting for d, or until Unmute when d is zero.
func (r *Room) Mute(ctx context.Context, user string, d time.Duration) error {
	_, err := r.call(ctx, func(c *command) { c.kind = cmdMute; c.id = user; c.dur = d })
	return err
}

// Unmute lets user chat again.
func (r *Room) Unmute(ctx context.Context, user string) error {
	_, err := r.call(ctx, func(c *command) { c.kind = cmdUnmute; c.id = user })
	return err
}

// Ban stops user from bidding and chatting in the room and withdraws their
// proxy maximum; bids they already placed stand.
func (r *Room) Ban(ctx context.Context, user string) error {
	_, err := r.call(ctx, func(c *command) { c.kind = cmdBan; c.id = user })
	return err
}

// Unban lifts a ban.
func (r *Room) Unban(ctx context.Context, user string) error {
	_, err := r.call(ctx, func(c *command) { c.kind = cmdUnban; c.id = user })
	return err
}

// SetSlowMode sets the least interval between one user's chat messages;
// zero turns slow mode off.
func (r *Room) SetSlowMode(ctx context.Context, d time.Duration) error {
	_, err := r.call(ctx, func(c *command) { c.kind = cmdSlow; c.dur = d })
	return err
}

// Moderation returns user's standing, for the chat layer to check before
// posting a message; moderation events keep a cached copy current.
func (r *Room) Moderation(ctx context.Context, user string) (ModStatus, error) {
	rep, err := r.call(ctx, func(c *command) { c.kind = cmdModStatus; c.id = user })
	return rep.mod, err
}
