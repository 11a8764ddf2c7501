package bidding

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/internal/namespace"
)

// RoomSource lists the rooms that should be running somewhere.
type RoomSource interface {
	LiveRoomIDs(ctx context.Context) ([]string, error)
}

// RoomRunner is what a node runs for each room it owns: the room actor
// restored from Postgres and the room's bid pipeline.
type RoomRunner interface {
	// StartRoom restores and starts the room; Stop on the result ends it.
	StartRoom(ctx context.Context, roomID string) (RunningRoom, error)
}

// RunningRoom is a room started by a RoomRunner.
type RunningRoom interface {
	Stop()
}

// NodeConfig tunes room ownership.
type NodeConfig struct {
	// NodeID names this node in leases; it must be unique across nodes and
	// stable across restarts of the same node, so that a restarted node
	// takes its own rooms back at once.
	NodeID string
	// LeaseTTL is how long a claim lives without renewal; leases are renewed
	// every LeaseTTL/3 in one pipelined round trip. A killed node's rooms
	// move to another node within about LeaseTTL + ProbeInterval. Zero
	// means 1.2 s.
	LeaseTTL time.Duration
	// ProbeInterval is how often the node reads the expired end of the
	// lease-expiry index, to take over the rooms of a node that died. Zero
	// means LeaseTTL/6.
	ProbeInterval time.Duration
	// ScanInterval is how often the node lists every live room to claim
	// those nobody owns (and stop those that ended). Zero means 2 s.
	ScanInterval time.Duration
	// Fences, when set, raises each room's fencing token in Postgres as the
	// node claims it; the token reaches the runner (FenceFrom) so its
	// commits can check it. Nil runs rooms unfenced.
	Fences FenceRaiser
	// Parking parks the node's idle rooms and wakes parked ones (park.go);
	// its zero value (no Store) never parks.
	Parking ParkConfig
	// Namespace names the lease-expiry index for this deployment
	// (internal/namespace); None keeps the name of earlier releases.
	Namespace namespace.Namespace
}

// defaultLeaseTTL keeps a takeover under 2 s: the dead owner's lease lapses
// 1.2 s after its last renewal, so 0.8–1.2 s after its death, and the next
// probe finds it within 0.2 s. Renewals cost a script per owned room every
// 0.4 s (about 7.5 Redis commands/s per room, counting those inside it).
const defaultLeaseTTL = 1200 * time.Millisecond

// Node claims live rooms that have no owner, runs them, renews its leases,
// and stops any room whose lease it loses.
type Node struct {
	cfg    NodeConfig
	holder string // this instance's value in the leases it holds
	expiry string // the lease-expiry index's key in this namespace
	rdb    redis.UniversalClient
	source RoomSource
	runner RoomRunner
	log    *slog.Logger

	kick chan struct{} // a claim is wanted now (Kick)
	// wakes carries rooms to wake (Wake) to Run's wake loop.
	wakes chan string

	mu sync.Mutex
	// live is the last scan's list of live rooms, which probes claim from.
	live  map[string]bool       // guarded by mu
	owned map[string]*ownedRoom // guarded by mu
	// stopping holds rooms whose stop is under way; they are not claimed
	// again until it ends, so two instances of a room never overlap.
	stopping map[string]bool // guarded by mu
	// waking holds rooms whose wake is queued or under way, so a burst of
	// bids wakes a room once.
	waking map[string]bool // guarded by mu
}

// ownedRoom is a running room and when its lease was last confirmed.
type ownedRoom struct {
	room    RunningRoom
	renewed time.Time
	// token is the claim's fencing token (0 unfenced), which parking
	// checks in Postgres.
	token int64
	// since is when the room was claimed or woken: a scan that listed
	// live rooms before then does not stop it for being missing.
	since time.Time
	// pinned rooms are being ended by this node while still parked: no
	// scan stops them, and they do not park again.
	pinned bool
}

// NewNode returns a node; call Run to start claiming rooms.
func NewNode(cfg NodeConfig, rdb redis.UniversalClient, source RoomSource, runner RoomRunner, log *slog.Logger) (*Node, error) {
	if cfg.NodeID == "" {
		return nil, fmt.Errorf("bidding node: NodeID is empty")
	}
	if cfg.LeaseTTL == 0 {
		cfg.LeaseTTL = defaultLeaseTTL
	}
	if cfg.ScanInterval == 0 {
		cfg.ScanInterval = 2 * time.Second
	}
	if cfg.ProbeInterval == 0 {
		cfg.ProbeInterval = cfg.LeaseTTL / 6
	}
	if err := cfg.Parking.Validate(); err != nil {
		return nil, fmt.Errorf("bidding node: %w", err)
	}
	cfg.Parking = cfg.Parking.withDefaults()
	if cfg.LeaseTTL < 3*100*time.Millisecond {
		return nil, fmt.Errorf("bidding node: LeaseTTL %s is too short", cfg.LeaseTTL)
	}
	var inst [6]byte
	_, _ = rand.Read(inst[:])
	return &Node{cfg: cfg, holder: holder(cfg.NodeID, hex.EncodeToString(inst[:])), rdb: rdb, source: source,
		expiry: cfg.Namespace.Name(leaseExpiryKey),
		runner: runner, log: log.With("node", cfg.NodeID), live: map[string]bool{},
		owned: map[string]*ownedRoom{}, stopping: map[string]bool{}, kick: make(chan struct{}, 1),
		waking: map[string]bool{}, wakes: make(chan string, wakeBuffer)}, nil
}

// Run claims and renews until ctx ends, then stops every owned room and
// releases its lease. Renewals run on a goroutine of their own: starting
// many rooms in one claim takes longer than a lease lives, and a renewal
// waiting behind it would lose the leases of the rooms started first.
func (n *Node) Run(ctx context.Context) error {
	renewDone := make(chan struct{})
	go func() {
		defer close(renewDone)
		renew := time.NewTicker(n.cfg.LeaseTTL / 3)
		defer renew.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-renew.C:
				// A renewal that cannot finish before the leases lapse is
				// of no use; bounding it lets the next one start. A slow
				// one that still finishes in time keeps every room.
				rctx, cancel := context.WithTimeout(ctx, n.cfg.LeaseTTL)
				n.renewAll(rctx)
				cancel()
			}
		}
	}()
	bgDone := n.startParking(ctx)
	scan := time.NewTicker(n.cfg.ScanInterval)
	defer scan.Stop()
	probe := time.NewTicker(n.cfg.ProbeInterval)
	defer probe.Stop()
	n.claim(ctx)
	for {
		select {
		case <-ctx.Done():
			<-renewDone
			<-bgDone
			n.stopAll()
			return nil
		case <-scan.C:
			n.claim(ctx)
		case <-n.kick:
			n.claim(ctx)
		case <-probe.C:
			n.probe(ctx)
		}
	}
}

// Owned returns the IDs of the rooms this node runs now.
func (n *Node) Owned() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	ids := make([]string, 0, len(n.owned))
	for id := range n.owned {
		ids = append(ids, id)
	}
	return ids
}

func (n *Node) lease(roomID string) lease {
	return lease{rdb: n.rdb, roomID: roomID, node: n.cfg.NodeID, holder: n.holder, ttl: n.cfg.LeaseTTL,
		expiry: n.expiry}
}

// claim starts every live room that has no owner.
func (n *Node) claim(ctx context.Context) {
	listed := time.Now()
	ids, err := n.source.LiveRoomIDs(ctx)
	if err != nil {
		n.log.Warn("listing live rooms failed", "err", err)
		return
	}
	live := make(map[string]bool, len(ids))
	for _, id := range ids {
		live[id] = true
	}
	n.mu.Lock()
	n.live = live
	n.mu.Unlock()
	for _, id := range n.Owned() {
		if !live[id] && n.ownedBefore(id, listed) {
			n.log.Info("room is no longer live; stopping it", "room", id)
			n.stopEnded(ctx, id)
		}
	}
	for _, id := range ids {
		n.claimOne(ctx, id, false)
	}
}

// probe claims the live rooms whose lease expiry has passed: their owner
// died (or released them) since the last renewal it made. It costs one
// Redis round trip however many rooms there are.
func (n *Node) probe(ctx context.Context) {
	n.mu.Lock()
	none := len(n.live) == 0
	n.mu.Unlock()
	if none {
		return // no live room to take over: a node of parked rooms costs Redis nothing
	}
	ids, err := expiredLeases(ctx, n.rdb, n.expiry, 256)
	if err != nil {
		n.log.Warn("reading lease expiries failed", "err", err)
		return
	}
	for _, id := range ids {
		n.mu.Lock()
		live := n.live[id]
		n.mu.Unlock()
		if live {
			n.claimOne(ctx, id, false)
		}
	}
}

// claimOne claims and starts one live room, unless this instance runs it
// or another node holds its lease. A pinned room is one the node is about
// to end (abandon): it stays running until then.
func (n *Node) claimOne(ctx context.Context, id string, pinned bool) {
	n.mu.Lock()
	_, mine := n.owned[id]
	busy := n.stopping[id]
	n.mu.Unlock()
	if mine || busy {
		return
	}
	l := n.lease(id)
	ok, reclaimed, err := l.acquire(ctx)
	if err != nil {
		n.log.Warn("claiming room failed", "room", id, "err", err)
		return
	}
	if !ok {
		return
	}
	startCtx := ctx
	var token int64
	if n.cfg.Fences != nil {
		// Raised before the room is restored: any commit of a previous
		// owner lands before it (and is restored) or fails its check.
		var err error
		token, err = n.cfg.Fences.RaiseFence(ctx, id)
		if err != nil {
			n.log.Error("raising the room's fence failed; releasing it", "room", id, "err", err)
			_ = l.release(context.WithoutCancel(ctx))
			return
		}
		startCtx = withFence(ctx, Fence{RoomID: id, Token: token})
	}
	room, err := n.runner.StartRoom(startCtx, id)
	if err != nil {
		n.log.Error("starting claimed room failed; releasing it", "room", id, "err", err)
		_ = l.release(context.WithoutCancel(ctx))
		return
	}
	n.mu.Lock()
	n.owned[id] = &ownedRoom{room: room, renewed: time.Now(), token: token, since: time.Now(), pinned: pinned}
	n.mu.Unlock()
	n.log.Info("room claimed", "room", id, "reclaimed", reclaimed)
}

// renewAll extends every lease in one round trip and stops rooms whose
// lease is gone.
func (n *Node) renewAll(ctx context.Context) {
	ids := n.Owned()
	held, err := renewMany(ctx, n.rdb, n.expiry, n.holder, n.cfg.LeaseTTL, ids)
	if err != nil {
		// Redis is unreachable: keep running each room until its lease
		// would have expired (no other node can claim it before then), then
		// stop, since another node may take the room once Redis is back.
		for _, id := range ids {
			n.mu.Lock()
			o := n.owned[id]
			expired := o != nil && time.Since(o.renewed) > n.cfg.LeaseTTL
			n.mu.Unlock()
			n.log.Warn("renewing lease failed", "room", id, "err", err, "stopping", expired)
			if expired {
				n.stop(id, false)
			}
		}
		return
	}
	now := time.Now()
	for _, id := range ids {
		if !held[id] {
			n.log.Warn("lease lost; stopping room", "room", id)
			n.stop(id, false)
			continue
		}
		n.mu.Lock()
		if o := n.owned[id]; o != nil {
			o.renewed = now
		}
		n.mu.Unlock()
	}
}

// Kick asks Run to look for rooms to claim (and ended rooms to stop) now
// rather than at the next scan: a room just went live or ended.
func (n *Node) Kick() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// Restart stops a room this node runs and releases its lease, then claims
// it again, so it is restored from Postgres.
func (n *Node) Restart(roomID string) {
	n.stop(roomID, true)
	n.Kick()
}

// StopRoom stops a room this node runs (it ended) and releases its lease.
func (n *Node) StopRoom(roomID string) { n.stop(roomID, true) }

func (n *Node) stop(id string, release bool) {
	n.mu.Lock()
	o, ok := n.owned[id]
	delete(n.owned, id)
	if ok {
		n.stopping[id] = true
	}
	n.mu.Unlock()
	if !ok {
		return
	}
	o.room.Stop()
	defer func() {
		n.mu.Lock()
		delete(n.stopping, id)
		n.mu.Unlock()
	}()
	if release {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := n.lease(id).release(ctx); err != nil {
			n.log.Warn("releasing lease failed", "room", id, "err", err)
		} else {
			n.log.Info("room released", "room", id)
		}
	}
}

func (n *Node) stopAll() {
	for _, id := range n.Owned() {
		n.stop(id, true)
	}
}
