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
//
// A URL with a master_name parameter names Redis Sentinels instead of one
// server (go-redis's failover URL: the host and every addr parameter are
// sentinels, the user info is the sentinels' password and the password
// parameter the master's); the client then follows the master through a
// failover. See docs/SCALING.md.
func Redis(ctx context.Context, url string, poolSize int) (*redis.Client, error) {
	rdb, where, err := redisClient(url, poolSize)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("reach Redis at %s: %w", where, err)
	}
	return rdb, nil
}

// CheckRedisURL reports whether url parses as a Redis URL, of one server
// or of Sentinels, without connecting.
func CheckRedisURL(url string) error {
	_, _, err := redisOptions(url, 0)
	return err
}

// redisClient builds the client url describes and names where it points
// for errors.
func redisClient(url string, poolSize int) (*redis.Client, string, error) {
	newClient, where, err := redisOptions(url, poolSize)
	if err != nil {
		return nil, "", fmt.Errorf("REDIS_URL: %w", err)
	}
	return newClient(), where, nil
}

// redisOptions parses url, a single server's or Sentinels' URL, into a
// constructor for its client and a description of where it points.
func redisOptions(url string, poolSize int) (newClient func() *redis.Client, where string, err error) {
	setPool := poolSize > 0 && !strings.Contains(url, "pool_size")
	if strings.Contains(url, "master_name=") {
		opts, err := redis.ParseFailoverURL(url)
		if err != nil {
			return nil, "", fmt.Errorf("sentinel URL: %w", err)
		}
		if opts.MasterName == "" {
			return nil, "", fmt.Errorf("sentinel URL: master_name is empty")
		}
		if setPool {
			opts.PoolSize = poolSize
		}
		where = fmt.Sprintf("master %q of sentinels %s", opts.MasterName, strings.Join(opts.SentinelAddrs, ","))
		return func() *redis.Client { return redis.NewFailoverClient(opts) }, where, nil
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, "", err
	}
	if setPool {
		opts.PoolSize = poolSize
	}
	return func() *redis.Client { return redis.NewClient(opts) }, opts.Addr, nil
}

// redisLogger routes go-redis's internal messages (dial failures, pool
// trouble) into the process's structured log instead of bare stderr.
type redisLogger struct{ log *slog.Logger }

// Printf logs at warn, except the news a Sentinel client gives of the
// master it found, which is logged at info: it is routine at start and the
// one line an operator wants after a failover.
func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	level := slog.LevelWarn
	if strings.HasPrefix(msg, "sentinel: new master") || strings.HasPrefix(msg, "sentinel: selected") {
		level = slog.LevelInfo
	}
	l.log.Log(ctx, level, msg, "component", "redis")
}

// InstallRedisLogger sets go-redis's process-wide logger; the library
// offers no per-client hook.
func InstallRedisLogger(log *slog.Logger) {
	redis.SetLogger(redisLogger{log: log})
}
