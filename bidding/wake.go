package bidding

import (
	"context"
	"sync"
	"time"
)

// Waking a parked room (see park.go): Wake queues it, the node's wake
// loop unparks it in Postgres and claims it.

// wakeBuffer bounds the rooms waiting to be woken at once.
const wakeBuffer = 4096

const (
	// parkingTTL bounds a parking announcement a dead node left behind.
	parkingTTL = 30 * time.Second
	// wakeWait bounds how long a wake waits for a park under way.
	wakeWait = 10 * time.Second
	// abandonWait bounds ending an abandoned room (its lot's close).
	abandonWait = time.Minute
)

// wantedKey exists for a while after someone wanted the room (Wake);
// parkingKey while a node is parking it.
func wantedKey(roomID string) string  { return "bidcast:{" + roomID + "}:wanted" }
func parkingKey(roomID string) string { return "bidcast:{" + roomID + "}:parking" }

// Wake wakes roomID if it is parked (and claims it at once if it is live
// and nobody holds it), in the background. It never blocks, and a burst
// of calls for one room wakes it once.
func (n *Node) Wake(roomID string) {
	if n.cfg.Parking.Store == nil {
		n.Kick()
		return
	}
	n.mu.Lock()
	if n.waking[roomID] {
		n.mu.Unlock()
		return
	}
	n.waking[roomID] = true
	n.mu.Unlock()
	select {
	case n.wakes <- roomID:
	default:
		n.mu.Lock()
		delete(n.waking, roomID)
		n.mu.Unlock()
		n.log.Warn("too many rooms waking at once; this one wakes at its next bid or viewer", "room", roomID)
	}
}

// wakeLoop wakes each room Wake queued, each on its own goroutine, so one
// slow wake does not hold up another room's.
func (n *Node) wakeLoop(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-n.wakes:
			wg.Add(1)
			go func() {
				defer wg.Done()
				n.wake(ctx, id)
				n.mu.Lock()
				delete(n.waking, id)
				n.mu.Unlock()
			}()
		}
	}
}

// wake unparks roomID and claims it, unless somebody holds its lease and
// is not parking it. A room being parked is waited for (parking takes
// under a second), then woken.
//
// A wake and a park that overlap are ordered through two Redis keys, the
// way two threads agree with Dekker's flags: the waker writes "wanted",
// then reads "parking"; the parker writes "parking", then reads "wanted".
// Redis runs commands one at a time, so at least one sees the other's key:
// the parker backs off, or the waker waits for the park to finish and then
// wakes the room.
func (n *Node) wake(ctx context.Context, id string) {
	deadline := time.Now().Add(wakeWait)
	for {
		// One connection runs a pipeline's commands in order: the write
		// lands before the reads, which is all the ordering needs.
		pipe := n.rdb.Pipeline()
		pipe.Set(ctx, wantedKey(id), 1, n.cfg.Parking.WakeHold)
		lease := pipe.Exists(ctx, leaseKey(id))
		parking := pipe.Exists(ctx, parkingKey(id))
		if _, err := pipe.Exec(ctx); err != nil {
			n.log.Warn("waking room failed", "room", id, "err", err)
			return
		}
		if parking.Val() == 0 {
			if lease.Val() == 1 {
				return // running somewhere
			}
			break
		}
		if time.Now().After(deadline) {
			n.log.Warn("room still parking; waking it anyway", "room", id)
			break
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
	live, woke, err := n.cfg.Parking.Store.Unpark(ctx, id)
	if err != nil {
		n.log.Warn("waking room failed", "room", id, "err", err)
		return
	}
	if !live {
		return
	}
	n.mu.Lock()
	n.live[id] = true
	n.mu.Unlock()
	n.claimOne(ctx, id, false)
	if woke {
		n.log.Info("parked room woken", "room", id)
	}
}
