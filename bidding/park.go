package bidding

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/storage"
)

// Parking. A live room that nobody uses costs its owner an actor, a
// sequencer, a nudge subscription, an asynq.Server and a lease renewal,
// forever. So a room with no lot clock running, no bid or seller command
// for ParkConfig.After, and nobody present anywhere in the cluster (no
// publisher, no connection on any node: Presence) parks: its owner marks
// it parked in Postgres (fenced, so only the current claim may), stops it
// and releases its lease. Nodes list only unparked rooms to claim
// (storage.Rooms.LiveRoomIDs), so nothing runs for it anywhere; its state
// is in Postgres and its queue stays in Redis, claimable.
//
// Whoever needs the room wakes it (Wake): the ingress script tells Submit
// when the room has no lease, a seller command, a viewer joining or a
// publisher arriving calls Wake. The waking node unparks the room in
// Postgres (one statement; of many wakers one wins, and every one then
// tries the lease, which one node gets) and claims it at once; the room's
// pipeline catches up on every bid sequenced meanwhile, each decided by
// its receive time as always.
//
// A bid sequenced while the owner is parking the room (its lease still
// held, so nobody is asked to wake it) is found after the release: the
// owner compares the room's sequence counter with what the room decided
// and wakes it again. A room woken in Postgres while it was being parked
// is claimed again the same way.
//
// A room parked for ParkConfig.AbandonAfter is ended by any node's sweep
// (storage.Rooms.PickAbandoned hands each to one node): the node runs it,
// ends its open lot early (the seller's lot.end, closing by the usual
// rules) and marks the room ended. A room that ends has its queue and its
// sequencer keys removed from Redis once its pipeline has decided every
// bid (DeleteRoomKeys).

// ParkStore is what parking asks of Postgres; storage.Rooms implements it.
type ParkStore interface {
	Park(ctx context.Context, roomID string, token int64, at time.Time) (bool, error)
	Unpark(ctx context.Context, roomID string) (live, woke bool, err error)
	Parked(ctx context.Context, roomID string) (bool, error)
	PickAbandoned(ctx context.Context, before, now time.Time, limit int) ([]string, error)
	PickEndedParked(ctx context.Context, before, now time.Time, limit int) ([]string, error)
	ForgetParked(ctx context.Context, roomID string) error
	Get(ctx context.Context, roomID string) (storage.Room, error)
}

var _ ParkStore = (*storage.Rooms)(nil)

// Presence tells whether anyone is in a room anywhere in the cluster: its
// publisher, or a connection on any node. The server plugs the media
// origin record and the gateways' viewer counts in (cmd/auctiond).
type Presence interface {
	Present(ctx context.Context, roomID string) (bool, error)
}

// Waker wakes a parked room; Node implements it. Wake never blocks: the
// room is woken in the background, within milliseconds.
type Waker interface {
	Wake(roomID string)
}

// Parkable is a RunningRoom that can say whether it is idle; LiveRoom
// implements it. Rooms whose runner does not implement it never park.
type Parkable interface {
	RunningRoom
	// Activity returns when the room last decided a bid or ran a seller
	// command (or was started), and whether a lot's clock is running.
	Activity(ctx context.Context) (last time.Time, running bool, err error)
	// Applied returns the last ingress sequence number the room decided.
	Applied() int64
}

// Abandoner is a RunningRoom that can end itself: its open lot closed by
// the usual rules, then the room ended. LiveRoom implements it.
type Abandoner interface {
	Abandon(ctx context.Context) error
}

// ParkConfig tunes parking. Without a Store nothing parks, and Wake only
// asks for a scan.
type ParkConfig struct {
	// Store marks rooms parked in Postgres.
	Store ParkStore
	// Presence says whether anyone is in a room; nil means nobody ever is.
	Presence Presence
	// After is how long a room goes without a bid or a seller command
	// before it parks (ROOM_PARK_AFTER). Zero means 10 minutes.
	After time.Duration
	// AbandonAfter is how long a room stays parked before it is ended
	// (ROOM_ABANDON_AFTER). Zero means 24 hours.
	AbandonAfter time.Duration
	// CheckInterval is how often the node looks for idle rooms to park.
	// Zero means After/4, at most 30 s.
	CheckInterval time.Duration
	// SweepInterval is how often the node looks for abandoned rooms.
	// Zero means a minute.
	SweepInterval time.Duration
	// Now is the clock idleness and parking are measured by; nil means
	// time.Now. Use the rooms' clock.
	Now func() time.Time
	// WakeHold is how long a wake keeps a room from parking: longer than a
	// new viewer takes to show in the viewer counts of every node (one
	// ViewerInterval, a second by default). Zero means 5 s.
	WakeHold time.Duration
	// OnEnded, when set, is called once an ended room's own keys are gone,
	// to expire what other packages keep for it (the event log).
	OnEnded func(ctx context.Context, roomID string)
}

// Validate reports settings that cannot work.
func (c ParkConfig) Validate() error {
	if c.After < 0 || c.AbandonAfter < 0 || c.CheckInterval < 0 || c.SweepInterval < 0 || c.WakeHold < 0 {
		return errors.New("parking: durations must not be negative")
	}
	return nil
}

func (c ParkConfig) withDefaults() ParkConfig {
	if c.After == 0 {
		c.After = 10 * time.Minute
	}
	if c.AbandonAfter == 0 {
		c.AbandonAfter = 24 * time.Hour
	}
	if c.CheckInterval == 0 {
		c.CheckInterval = min(c.After/4, 30*time.Second)
	}
	if c.SweepInterval == 0 {
		c.SweepInterval = time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.WakeHold == 0 {
		c.WakeHold = 5 * time.Second
	}
	return c
}

// startParking runs the wake loop and, with a Store, the park and sweep
// loop, until ctx ends; the returned channel closes when they have.
func (n *Node) startParking(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		n.wakeLoop(ctx)
	}()
	if n.cfg.Parking.Store != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			check := time.NewTicker(n.cfg.Parking.CheckInterval)
			defer check.Stop()
			sweep := time.NewTicker(n.cfg.Parking.SweepInterval)
			defer sweep.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-check.C:
					n.parkIdle(ctx)
				case <-sweep.C:
					n.sweep(ctx)
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(done)
	}()
	return done
}

// parkIdle parks every room this node runs that is idle and empty.
func (n *Node) parkIdle(ctx context.Context) {
	pc := n.cfg.Parking
	now := pc.Now()
	n.mu.Lock()
	rooms := make(map[string]*ownedRoom, len(n.owned))
	for id, o := range n.owned {
		if !o.pinned {
			rooms[id] = o
		}
	}
	n.mu.Unlock()
	sem := make(chan struct{}, parkers)
	var wg sync.WaitGroup
	for id, o := range rooms {
		p, ok := o.room.(Parkable)
		if !ok {
			continue
		}
		last, running, err := p.Activity(ctx)
		if err != nil || running || now.Sub(last) < pc.After {
			continue
		}
		if pc.Presence != nil {
			if here, err := pc.Presence.Present(ctx, id); err != nil || here {
				continue
			}
		}
		// Stopping a room waits for its queue server to shut down, most of
		// a second: many rooms park side by side.
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			n.park(ctx, id, o.token, p, now)
		}()
	}
	wg.Wait()
}

// parkers bounds the rooms parked at once.
const parkers = 32

// park parks one idle room this node runs: marked in Postgres while this
// claim is current, then stopped and released, then checked for a wake
// that came meanwhile.
func (n *Node) park(ctx context.Context, id string, token int64, p Parkable, now time.Time) {
	// Announce the park, then look for a wake that came first (see wake).
	pipe := n.rdb.Pipeline()
	pipe.Set(ctx, parkingKey(id), n.holder, parkingTTL)
	wanted := pipe.Exists(ctx, wantedKey(id))
	if _, err := pipe.Exec(ctx); err != nil {
		n.log.Warn("parking room failed", "room", id, "err", err)
		return
	}
	defer n.rdb.Del(context.WithoutCancel(ctx), parkingKey(id))
	if wanted.Val() == 1 {
		return // someone just arrived
	}
	ok, err := n.cfg.Parking.Store.Park(ctx, id, token, now)
	if err != nil {
		n.log.Warn("parking room failed", "room", id, "err", err)
		return
	}
	if !ok {
		return // ended, or claimed by a newer owner
	}
	n.stop(id, true)
	n.log.Info("idle room parked", "room", id)
	n.recheck(ctx, id, p.Applied())
}

// recheck wakes a room just parked again if it was woken in Postgres
// while it was being parked, or if a bid was sequenced that it did not
// decide (its lease was still held, so nobody else was told to wake it).
func (n *Node) recheck(ctx context.Context, id string, applied int64) {
	parked, err := n.cfg.Parking.Store.Parked(ctx, id)
	if err != nil || !parked {
		n.Wake(id)
		return
	}
	cur, err := n.rdb.Get(ctx, seqKey(id)).Int64()
	if (err != nil && !errors.Is(err, redis.Nil)) || cur > applied {
		n.log.Info("bids arrived while the room parked; waking it", "room", id, "sequenced", cur, "applied", applied)
		n.Wake(id)
	}
}

// ownedBefore reports whether this node runs id since before t (a room
// claimed or woken after a scan listed the live rooms is not stopped for
// missing from that list).
func (n *Node) ownedBefore(id string, t time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	o := n.owned[id]
	return o != nil && !o.pinned && o.since.Before(t)
}

// stopEnded stops a room that is no longer live once its pipeline has
// decided every bid sequenced (briefly bounded), and if it has ended,
// removes its queue and sequencer keys from Redis. An ended room is
// marked ended in Redis first, so no bid is sequenced after the wait.
func (n *Node) stopEnded(ctx context.Context, id string) {
	n.mu.Lock()
	o := n.owned[id]
	n.mu.Unlock()
	if o == nil {
		return
	}
	ended := false
	if n.cfg.Parking.Store != nil {
		room, err := n.cfg.Parking.Store.Get(ctx, id)
		ended = err == nil && room.Status == storage.RoomEnded
	}
	if ended {
		if err := MarkRoomEnded(ctx, n.rdb, id); err != nil {
			n.log.Warn("marking an ended room failed; its late bids wait for the mark", "room", id, "err", err)
		}
	}
	if p, ok := o.room.(Parkable); ok {
		n.waitDecided(ctx, id, p, 3*time.Second)
	}
	n.stop(id, true)
	if ended {
		n.forgetEnded(ctx, id)
	}
}

// forgetEnded removes an ended room's keys from Redis, and reports
// whether that worked.
func (n *Node) forgetEnded(ctx context.Context, id string) bool {
	if err := DeleteRoomKeys(ctx, n.rdb, id); err != nil {
		n.log.Warn("removing an ended room's keys failed", "room", id, "err", err)
		return false
	}
	if n.cfg.Parking.OnEnded != nil {
		n.cfg.Parking.OnEnded(ctx, id)
	}
	return true
}

// waitDecided waits, at most d, until p has decided every bid sequenced
// for room id.
func (n *Node) waitDecided(ctx context.Context, id string, p Parkable, d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		cur, err := n.rdb.Get(ctx, seqKey(id)).Int64()
		if (err == nil || errors.Is(err, redis.Nil)) && cur <= p.Applied() {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
	n.log.Warn("ended room still has undecided bids; stopping it anyway", "room", id, "applied", p.Applied())
}

// sweep ends rooms parked longer than AbandonAfter, and removes the keys
// of rooms that ended (whoever ran them, a node that died too).
func (n *Node) sweep(ctx context.Context) {
	pc := n.cfg.Parking
	now := pc.Now()
	ids, err := pc.Store.PickAbandoned(ctx, now.Add(-pc.AbandonAfter), now, 16)
	if err != nil {
		n.log.Warn("looking for abandoned rooms failed", "err", err)
	}
	for _, id := range ids {
		n.abandon(ctx, id)
	}
	// Ended a sweep ago or more: their owner has stopped them by now.
	ended, err := pc.Store.PickEndedParked(ctx, now.Add(-pc.SweepInterval), now, 256)
	if err != nil {
		n.log.Warn("looking for ended rooms' keys failed", "err", err)
	}
	for _, id := range ended {
		if !n.forgetEnded(ctx, id) {
			continue
		}
		if err := pc.Store.ForgetParked(ctx, id); err != nil {
			n.log.Warn("forgetting an ended parked room failed", "room", id, "err", err)
		}
	}
}

// abandon ends a room that stayed parked too long: this node runs it
// (pinned, so no scan stops it while it is still marked parked), ends its
// open lot by the usual rules, marks it ended and removes its keys. A
// failure leaves it parked, picked again after another AbandonAfter.
func (n *Node) abandon(ctx context.Context, id string) {
	n.claimOne(ctx, id, true)
	n.mu.Lock()
	o := n.owned[id]
	n.mu.Unlock()
	if o == nil {
		n.log.Warn("could not run an abandoned room to end it", "room", id)
		return
	}
	a, ok := o.room.(Abandoner)
	if !ok {
		n.stop(id, true)
		return
	}
	actx, cancel := context.WithTimeout(ctx, abandonWait)
	defer cancel()
	if err := a.Abandon(actx); err != nil {
		n.log.Warn("ending an abandoned room failed", "room", id, "err", err)
		n.stop(id, true)
		return
	}
	n.log.Info("abandoned room ended", "room", id, "parked_longer_than", n.cfg.Parking.AbandonAfter)
	n.stopEnded(ctx, id)
}
