package connect

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/storage"
)

// Postgres opens the database at url, retrying an unreachable one for up
// to wait, and applies the embedded migrations. from and to are the schema
// versions before and after.
func Postgres(ctx context.Context, url string, wait time.Duration, log *slog.Logger) (db *storage.DB, from, to int32, err error) {
	db, err = storage.Open(ctx, storage.Config{URL: url, ConnectTimeout: wait}, log)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("open database: %w", err)
	}
	if from, to, err = db.Migrate(ctx); err != nil {
		db.Close()
		return nil, 0, 0, fmt.Errorf("migrate database: %w", err)
	}
	return db, from, to, nil
}

// Redis connects to the Redis at url and pings it within 5 s. poolSize,
// when positive, sizes the connection pool unless the URL sets pool_size
// itself; zero keeps go-redis's default.
func Redis(ctx context.Context, url string, poolSize int) (*redis.Client, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	if poolSize > 0 && !strings.Contains(url, "pool_size") {
		opts.PoolSize = poolSize
	}
	rdb := redis.NewClient(opts)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("reach Redis at %s: %w", opts.Addr, err)
	}
	return rdb, nil
}

// redisLogger routes go-redis's internal messages (dial failures, pool
// trouble) into the process's structured log instead of bare stderr.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, fmt.Sprintf(format, v...), "component", "redis")
}

// InstallRedisLogger sets go-redis's process-wide logger; the library
// offers no per-client hook.
func InstallRedisLogger(log *slog.Logger) {
	redis.SetLogger(redisLogger{log: log})
}
