package events

import (
	"context"
	"fmt"
	"time"
)

// Retire gives an ended room's event counter, stream and snapshot an
// expiry, so they leave Redis a while after the show (a client that
// reloads the page at once still finds the last state); without it they
// would stay forever.
func (l *RedisLog) Retire(ctx context.Context, roomID string, after time.Duration) error {
	pipe := l.rdb.Pipeline()
	for _, k := range publishKeys(roomID) {
		pipe.Expire(ctx, k, after)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("retire event log of room %s: %w", roomID, err)
	}
	l.floors.forget(roomID)
	return nil
}
