package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// redisLogger routes go-redis's internal messages (dial failures, pool
// trouble) into the process's structured log instead of bare stderr.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, fmt.Sprintf(format, v...), "component", "redis")
}

// installRedisLogger sets go-redis's process-wide logger; the library offers
// no per-client hook.
func installRedisLogger(log *slog.Logger) {
	redis.SetLogger(redisLogger{log: log})
}
