package bidding

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// endedMarkTTL is how long a room's ended mark refuses its bids at
// ingress; by then every gateway's room cache has long said "ended".
const endedMarkTTL = 24 * time.Hour

// MarkRoomEnded makes the ingress script refuse every new bid of roomID
// (ErrRoomEnded), so that none is sequenced that nobody would decide.
// A bid sequenced before it is still the pipeline's to decide.
func MarkRoomEnded(ctx context.Context, rdb redis.UniversalClient, roomID string) error {
	if err := rdb.Set(ctx, endedKey(roomID), "1", endedMarkTTL).Err(); err != nil {
		return fmt.Errorf("mark room %s ended: %w", roomID, err)
	}
	return nil
}

// DeleteRoomKeys removes what an ended room leaves in Redis without an
// expiry: its Asynq queue (every task, the completed ones too, which only
// a running queue server's janitor would otherwise remove) and its
// sequence counter and ingress log. The dedupe keys expire on their own
// and stay, so a client's retry of a bid is still recognised; so does the
// room's ended mark (MarkRoomEnded, set first), so a bid that comes later
// is refused rather than sequenced for nobody. Call it only once the
// room's pipeline has stopped with every bid decided.
func DeleteRoomKeys(ctx context.Context, rdb redis.UniversalClient, roomID string) error {
	if err := MarkRoomEnded(ctx, rdb, roomID); err != nil {
		return err
	}
	q := QueueName(roomID)
	insp := newInspector(rdb)
	if _, err := insp.DeleteAllCompletedTasks(q); err != nil && !isQueueNotFound(err) {
		return fmt.Errorf("delete completed tasks of room %s: %w", roomID, err)
	}
	if err := insp.DeleteQueue(q, true); err != nil && !isQueueNotFound(err) {
		return fmt.Errorf("delete queue of room %s: %w", roomID, err)
	}
	prefix := "asynq:{" + q + "}:"
	if err := rdb.Del(ctx, seqKey(roomID), logKey(roomID), receivedKey(roomID), prefix+"processed", prefix+"failed",
		prefix+"completed", prefix+"paused").Err(); err != nil {
		return fmt.Errorf("delete sequencer keys of room %s: %w", roomID, err)
	}
	return nil
}

// newInspector returns an Asynq inspector over rdb's connections (closing
// it would not close them, so it is not closed).
func newInspector(rdb redis.UniversalClient) *asynq.Inspector {
	return asynq.NewInspectorFromRedisClient(rdb)
}

func isQueueNotFound(err error) bool { return errors.Is(err, asynq.ErrQueueNotFound) }
