package bidding

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// A lease is one node instance's claim on one room: a Redis key set with an
// expiry, renewed while the instance lives. Only the holder runs the room's
// actor and queue server; a dead holder's lease expires and another node
// claims it.
//
// The key's value is "<node ID>#<instance>": the instance is random per
// process, so a node restarted with the same NODE_ID recognises its own
// rooms (same node ID) held by its dead self (another instance) and takes
// them back at once instead of waiting for the old lease to lapse.
//
// Leases decide who runs a room, not who may commit: a paused owner can
// still be committing after its lease has expired and another node has
// claimed the room. That is what fencing is for (see Fence): each claim
// raises the room's fence in Postgres, and a commit checks its token.

// holderSep separates the node ID from the instance in a lease's value.
const holderSep = "#"

// leaseExpiryKey names (as NodeConfig.Namespace qualifies it) a sorted set
// of room IDs scored by when their lease lapses (Unix ms), refreshed with
// each renewal. Nodes read its expired end
// to find rooms whose owner died without scanning every room's lease; it is
// a hint only (the lease keys decide), so it needs no atomicity with them.
const leaseExpiryKey = "bidcast:leases:expiry"

// holder is the value a node instance writes into the leases it holds.
func holder(node, instance string) string { return node + holderSep + instance }

// holderNode returns the node ID of a lease value (leases written before
// instances existed hold the bare node ID).
func holderNode(v string) string {
	if i := strings.LastIndex(v, holderSep); i >= 0 {
		return v[:i]
	}
	return v
}

// acquireScript takes the lease if nobody holds it, or if another instance
// of this node does (a restart: that instance is dead, or a misconfigured
// twin that loses the room at its next renewal). KEYS[1] is the lease;
// ARGV: this instance's holder value, this node's ID, the TTL in ms.
var acquireScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur then
  if cur == ARGV[1] then return 0 end
  local node = string.match(cur, '^(.*)#[^#]*$') or cur
  if node ~= ARGV[2] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
if cur then return 2 end
return 1
`)

// renewScript extends the lease only if this instance still holds it.
var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)

// releaseScript deletes the lease only if this instance holds it, so a slow
// node never frees a lease another node has since taken.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// lease is one room's lease as seen by one node instance.
type lease struct {
	rdb    redis.UniversalClient
	roomID string
	node   string // node ID
	holder string // node ID and instance
	ttl    time.Duration
	// expiry is the key of the lease-expiry index (leaseExpiryKey).
	expiry string
}

// acquire claims the room if nobody holds it or a dead instance of this
// node does; reclaimed tells the latter.
func (l lease) acquire(ctx context.Context) (ok, reclaimed bool, err error) {
	n, err := acquireScript.Run(ctx, l.rdb, []string{leaseKey(l.roomID)}, l.holder, l.node, l.ttl.Milliseconds()).Int()
	if err != nil {
		return false, false, fmt.Errorf("acquire lease on room %s: %w", l.roomID, err)
	}
	if n > 0 {
		markExpiry(ctx, l.rdb, l.expiry, l.ttl, l.roomID)
	}
	return n > 0, n == 2, nil
}

// renewMany extends the leases of rooms in one pipelined round trip, so
// renewing a hundred rooms costs one Redis latency, not a hundred; the
// expiry hints (index key expiry) ride in the same round trip. held reports which leases this
// instance still holds; err is set when Redis could not be asked at all.
func renewMany(ctx context.Context, rdb redis.UniversalClient, expiry, holderValue string, ttl time.Duration,
	roomIDs []string) (held map[string]bool, err error) {
	if len(roomIDs) == 0 {
		return map[string]bool{}, nil
	}
	run := func() ([]*redis.Cmd, error) {
		pipe := rdb.Pipeline()
		cmds := make([]*redis.Cmd, len(roomIDs))
		for i, id := range roomIDs {
			cmds[i] = renewScript.EvalSha(ctx, pipe, []string{leaseKey(id)}, holderValue, ttl.Milliseconds())
		}
		addExpiry(ctx, pipe, expiry, ttl, roomIDs...)
		_, err := pipe.Exec(ctx)
		return cmds, err
	}
	cmds, err := run()
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		// First use on this Redis (or after SCRIPT FLUSH): load and retry.
		if err := renewScript.Load(ctx, rdb).Err(); err != nil {
			return nil, fmt.Errorf("load lease script: %w", err)
		}
		cmds, err = run()
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("renew %d leases: %w", len(roomIDs), err)
	}
	held = make(map[string]bool, len(roomIDs))
	for i, id := range roomIDs {
		n, _ := cmds[i].Int()
		held[id] = n == 1
	}
	return held, nil
}

// addExpiry queues the expiry hints of roomIDs (now + ttl) into index key
// expiry on pipe.
func addExpiry(ctx context.Context, pipe redis.Pipeliner, expiry string, ttl time.Duration, roomIDs ...string) {
	at := float64(time.Now().Add(ttl).UnixMilli())
	members := make([]redis.Z, len(roomIDs))
	for i, id := range roomIDs {
		members[i] = redis.Z{Score: at, Member: id}
	}
	pipe.ZAdd(ctx, expiry, members...)
}

// markExpiry records one lease's expiry hint; a failure costs only speed
// (the room is found by the next full scan instead).
func markExpiry(ctx context.Context, rdb redis.UniversalClient, expiry string, ttl time.Duration, roomID string) {
	pipe := rdb.Pipeline()
	addExpiry(ctx, pipe, expiry, ttl, roomID)
	_, _ = pipe.Exec(ctx)
}

// expiredLeases returns rooms whose lease expiry hint has passed, and
// forgets hints a minute old (rooms that ended, or that nobody claims).
func expiredLeases(ctx context.Context, rdb redis.UniversalClient, expiry string, limit int64) ([]string, error) {
	now := time.Now().UnixMilli()
	pipe := rdb.Pipeline()
	pipe.ZRemRangeByScore(ctx, expiry, "-inf", strconv.FormatInt(now-60_000, 10))
	ids := pipe.ZRangeByScore(ctx, expiry, &redis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(now, 10),
		Count: limit})
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read lease expiries: %w", err)
	}
	return ids.Val(), nil
}

// release gives the room up.
func (l lease) release(ctx context.Context) error {
	if err := releaseScript.Run(ctx, l.rdb, []string{leaseKey(l.roomID)}, l.holder).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("release lease on room %s: %w", l.roomID, err)
	}
	_ = l.rdb.ZRem(ctx, l.expiry, l.roomID).Err()
	return nil
}

// Owner returns the node that holds roomID's lease, or "" if none does.
func Owner(ctx context.Context, rdb redis.UniversalClient, roomID string) (string, error) {
	v, err := rdb.Get(ctx, leaseKey(roomID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read owner of room %s: %w", roomID, err)
	}
	return holderNode(v), nil
}

// Fence is the fencing token of one claim of a room: each claim raises the
// room's token in Postgres before the room is restored, and each commit of
// the room checks it in its transaction (storage.CheckFence), so an owner
// that lost its lease and has not yet noticed can never commit once the
// next owner has started.
type Fence struct {
	RoomID string
	// Token is this claim's token; 0 means the room runs unfenced (no
	// FenceRaiser configured), and checks nothing.
	Token int64
}

// FenceRaiser raises a room's fencing token when a node claims it
// (storage.Fences).
type FenceRaiser interface {
	RaiseFence(ctx context.Context, roomID string) (int64, error)
}

type fenceKey struct{}

// withFence returns ctx carrying the fence of the claim it starts a room for.
func withFence(ctx context.Context, f Fence) context.Context {
	return context.WithValue(ctx, fenceKey{}, f)
}

// FenceFrom returns the fence of the claim a RoomRunner's StartRoom runs
// for; the runner hands its token to the room's commits (storage.CheckFence
// in each commit transaction). ok is false when the node runs unfenced.
func FenceFrom(ctx context.Context) (f Fence, ok bool) {
	f, ok = ctx.Value(fenceKey{}).(Fence)
	return f, ok
}
