package media

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	tusd "github.com/tus/tusd/v2/pkg/handler"

	"github.com/bidcast/bidcast/internal/ids"
)

// Resumable uploads are locked in Redis, so that every node sharing the
// bucket (S3 staging) agrees on who writes an upload: tusd takes the lock
// for each request, and a new request for an upload asks the holder to let
// go (a client resuming after a dropped connection must not wait for the
// dead request to time out). The key lives lockTTL and its holder renews
// it, so a node that dies holding it frees it by itself.
const (
	lockTTL   = 10 * time.Second
	lockRetry = 50 * time.Millisecond
)

// redisLocker implements tusd's Locker on Redis.
type redisLocker struct {
	rdb redis.UniversalClient
}

var _ tusd.Locker = (*redisLocker)(nil)

// NewLock returns the lock of one upload.
func (l *redisLocker) NewLock(id string) (tusd.Lock, error) {
	return &redisLock{rdb: l.rdb, key: "media:tus:lock:" + id, channel: "media:tus:release:" + id}, nil
}

// redisLock is one upload's lock. Its methods are called by one request
// at a time (tusd's contract): Lock, then Unlock.
type redisLock struct {
	rdb          redis.UniversalClient
	key, channel string
	token        string
	stop         context.CancelFunc
	done         chan struct{}
}

// renewScript extends the key only while it is still ours.
var renewScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`)

// releaseScript deletes the key only while it is still ours.
var releaseScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1]) end return 0`)

// Lock takes the lock, asking the holder to let go (requestRelease on its
// side) until it does or ctx ends (tusd.ErrLockTimeout). While held, a
// request from another to let go calls requestRelease.
func (k *redisLock) Lock(ctx context.Context, requestRelease func()) error {
	k.token = ids.New()
	for {
		ok, err := k.rdb.SetNX(ctx, k.key, k.token, lockTTL).Result()
		if ctx.Err() != nil {
			return tusd.ErrLockTimeout
		}
		if err != nil {
			return fmt.Errorf("lock %s: %w", k.key, err)
		}
		if ok {
			break
		}
		_ = k.rdb.Publish(ctx, k.channel, "release").Err()
		select {
		case <-ctx.Done():
			return tusd.ErrLockTimeout
		case <-time.After(lockRetry):
		}
	}
	hctx, cancel := context.WithCancel(context.Background())
	sub := k.rdb.Subscribe(hctx, k.channel)
	if _, err := sub.Receive(ctx); err != nil { // the subscription is live
		cancel()
		_ = sub.Close()
		_ = releaseScript.Run(context.WithoutCancel(ctx), k.rdb, []string{k.key}, k.token).Err()
		return fmt.Errorf("lock %s: subscribe: %w", k.key, err)
	}
	k.stop, k.done = cancel, make(chan struct{})
	go k.hold(hctx, sub, requestRelease)
	return nil
}

// hold renews the key and passes on requests to let go until Unlock.
func (k *redisLock) hold(ctx context.Context, sub *redis.PubSub, requestRelease func()) {
	defer close(k.done)
	defer sub.Close()
	renew := time.NewTicker(lockTTL / 3)
	defer renew.Stop()
	asked := false
	msgs := sub.Channel()
	for {
		select {
		case <-ctx.Done():
			return
		case <-renew.C:
			_ = renewScript.Run(ctx, k.rdb, []string{k.key}, k.token, lockTTL.Milliseconds()).Err()
		case _, ok := <-msgs:
			if !ok {
				return
			}
			if !asked {
				asked = true
				requestRelease()
			}
		}
	}
}

// Unlock stops renewing and deletes the key if it is still ours.
func (k *redisLock) Unlock() error {
	if k.stop == nil {
		return nil
	}
	k.stop()
	<-k.done
	k.stop = nil
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := releaseScript.Run(ctx, k.rdb, []string{k.key}, k.token).Err(); err != nil {
		return fmt.Errorf("unlock %s: %w", k.key, err)
	}
	return nil
}
