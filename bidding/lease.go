package bidding

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// lease is one node's claim on one room: a Redis key set-if-absent with an
// expiry, renewed while the node lives. Only the holder runs the room's actor
// and queue server; a dead holder's lease expires and another node claims it.
type lease struct {
	rdb    redis.UniversalClient
	roomID string
	node   string
	ttl    time.Duration
}

// renewScript extends the lease only if this node still holds it.
var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)

// releaseScript deletes the lease only if this node holds it, so a slow node
// never frees a lease another node has since taken.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

// acquire claims the room if nobody holds it.
func (l lease) acquire(ctx context.Context) (bool, error) {
	ok, err := l.rdb.SetNX(ctx, leaseKey(l.roomID), l.node, l.ttl).Result()
	if err != nil {
		return false, fmt.Errorf("acquire lease on room %s: %w", l.roomID, err)
	}
	return ok, nil
}

// renewMany extends the leases of rooms in one pipelined round trip, so
// renewing a hundred rooms costs one Redis latency, not a hundred. held
// reports which leases this node still holds; err is set when Redis could
// not be asked at all.
func renewMany(ctx context.Context, rdb redis.UniversalClient, node string, ttl time.Duration,
	roomIDs []string) (held map[string]bool, err error) {
	if len(roomIDs) == 0 {
		return map[string]bool{}, nil
	}
	// Load the script once, so the pipeline can use EVALSHA.
	if err := renewScript.Load(ctx, rdb).Err(); err != nil {
		return nil, fmt.Errorf("load lease script: %w", err)
	}
	pipe := rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(roomIDs))
	for i, id := range roomIDs {
		cmds[i] = renewScript.EvalSha(ctx, pipe, []string{leaseKey(id)}, node, ttl.Milliseconds())
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("renew %d leases: %w", len(roomIDs), err)
	}
	held = make(map[string]bool, len(roomIDs))
	for i, id := range roomIDs {
		n, _ := cmds[i].Int()
		held[id] = n == 1
	}
	return held, nil
}

// release gives the room up.
func (l lease) release(ctx context.Context) error {
	if err := releaseScript.Run(ctx, l.rdb, []string{leaseKey(l.roomID)}, l.node).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("release lease on room %s: %w", l.roomID, err)
	}
	return nil
}

// Owner returns the node that holds roomID's lease, or "" if none does.
func Owner(ctx context.Context, rdb redis.UniversalClient, roomID string) (string, error) {
	node, err := rdb.Get(ctx, leaseKey(roomID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read owner of room %s: %w", roomID, err)
	}
	return node, nil
}
