package events

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

func snapshotKey(roomID string) string    { return "bidcast:{" + roomID + "}:snapshot" }
func snapshotSeqKey(roomID string) string { return "bidcast:{" + roomID + "}:snapseq" }

// publishKeys are the keys publishScript writes, in its KEYS order; they
// are also every key of a room's log (Retire).
func publishKeys(roomID string) []string {
	return []string{eventSeqKey(roomID), eventStreamKey(roomID), snapshotKey(roomID), snapshotSeqKey(roomID)}
}

// putSnapshotScript replaces the room's snapshot and records the room's
// latest event seq as the one it is current as of, in one step.
//
// KEYS: event counter, snapshot, snapshot's seq. ARGV: snapshot JSON.
var putSnapshotScript = redis.NewScript(`
local seq = redis.call('GET', KEYS[1]) or '0'
redis.call('SET', KEYS[2], ARGV[1])
redis.call('SET', KEYS[3], seq)
return tonumber(seq)
`)

// PutSnapshot replaces the room's snapshot on its own, current as of the
// room's latest event, and returns that event's seq. The owner uses it to
// bring a snapshot it did not attach to every batch of events up to date.
func (l *RedisLog) PutSnapshot(ctx context.Context, roomID string, snapshot any) (int64, error) {
	b, err := json.Marshal(snapshot)
	if err != nil {
		return 0, fmt.Errorf("encode snapshot of room %s: %w", roomID, err)
	}
	seq, err := putSnapshotScript.Run(ctx, l.rdb,
		[]string{eventSeqKey(roomID), snapshotKey(roomID), snapshotSeqKey(roomID)}, b).Int64()
	if err != nil {
		return 0, fmt.Errorf("store snapshot of room %s: %w", roomID, err)
	}
	return seq, nil
}

// Snapshot returns the room's snapshot as last stored by its owner (nil if
// it has none yet) and the seq of the last event it includes: its state
// reflects every event up to that seq, and possibly a few after it. The
// seq is 0 when the snapshot was stored without one (by an older version).
func (l *RedisLog) Snapshot(ctx context.Context, roomID string) (json.RawMessage, int64, error) {
	vals, err := l.rdb.MGet(ctx, snapshotKey(roomID), snapshotSeqKey(roomID)).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("read snapshot of room %s: %w", roomID, err)
	}
	state, _ := vals[0].(string)
	if state == "" {
		return nil, 0, nil
	}
	var seq int64
	if s, ok := vals[1].(string); ok {
		if seq, err = strconv.ParseInt(s, 10, 64); err != nil {
			return nil, 0, fmt.Errorf("read snapshot of room %s: bad seq %q", roomID, s)
		}
	}
	return json.RawMessage(state), seq, nil
}

// SnapshotSeq returns the seq the room's stored snapshot is current as of,
// 0 when there is none (or it was stored without one). The owner compares
// it with what it stored to notice a Redis that lost its last writes.
func (l *RedisLog) SnapshotSeq(ctx context.Context, roomID string) (int64, error) {
	return l.readSeq(ctx, snapshotSeqKey(roomID), "snapshot seq", roomID)
}
