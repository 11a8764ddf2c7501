package events

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// BatchLog is a Log that can publish several events of one room in one
// round trip. The owner's publisher uses it when the Log has it.
type BatchLog interface {
	// PublishBatch publishes evs in order, as Publish would one by one,
	// with snapshot (when not nil) replacing the room's snapshot together
	// with the last event. It returns how many events, from the first,
	// are known to be published, and the seq of the last of them; on error
	// the caller retries the rest.
	PublishBatch(ctx context.Context, evs []Event, snapshot any) (int, int64, error)
}

var _ BatchLog = (*RedisLog)(nil)

// PublishBatch implements BatchLog: the events go out in one pipeline of
// the same script Publish runs, so each is numbered, stored and sent
// exactly as Publish does.
func (l *RedisLog) PublishBatch(ctx context.Context, evs []Event, snapshot any) (int, int64, error) {
	if len(evs) == 0 {
		return 0, 0, nil
	}
	bodies := make([][]byte, len(evs))
	for i, ev := range evs {
		b, err := encodeEvent(ev)
		if err != nil {
			return 0, 0, err
		}
		bodies[i] = b
	}
	snap := ""
	if snapshot != nil {
		b, err := json.Marshal(snapshot)
		if err != nil {
			return 0, 0, fmt.Errorf("encode snapshot of room %s: %w", evs[0].RoomID, err)
		}
		snap = string(b)
	}
	for attempt := 0; ; attempt++ {
		// One floor for the batch: the first event is numbered above it,
		// and the counter takes the rest on from there.
		floor := l.floors.get(evs[0].RoomID)
		pipe := l.rdb.Pipeline()
		for i, ev := range evs {
			s := ""
			if i == len(evs)-1 {
				s = snap
			}
			publishScript.EvalSha(ctx, pipe, publishKeys(ev.RoomID), bodies[i], Channel(ev.RoomID), s, Retention, floor)
		}
		cmds, _ := pipe.Exec(ctx)
		done, last := 0, int64(0)
		for _, c := range cmds {
			if c.Err() != nil {
				break
			}
			if seq, err := c.(*redis.Cmd).Int64(); err == nil {
				last = seq
			}
			done++
		}
		l.floors.raise(evs[0].RoomID, last)
		if done == len(evs) {
			return done, last, nil
		}
		err := cmds[done].Err()
		if done == 0 && attempt == 0 && strings.HasPrefix(err.Error(), "NOSCRIPT") {
			// Redis restarted (or never ran the script): load it and
			// send the batch again; nothing of it was run.
			if lerr := publishScript.Load(ctx, l.rdb).Err(); lerr != nil {
				return 0, 0, fmt.Errorf("load publish script: %w", lerr)
			}
			continue
		}
		return done, last, fmt.Errorf("publish %s event of room %s: %w", evs[done].Type, evs[done].RoomID, err)
	}
}
