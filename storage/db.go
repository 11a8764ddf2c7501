package storage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultMaxConns is the pool size when neither Config.MaxConns nor the
// URL's pool_max_conns says otherwise. Every live room commits its bids on
// a connection of its own turn, so pgx's default (4 on a 2-core machine)
// made busy rooms queue behind each other; Postgres' own default of 100
// connections leaves room for a few nodes at this size.
const DefaultMaxConns = 32

// Config says how to reach Postgres.
type Config struct {
	// URL is a libpq-style connection string or postgres:// URL.
	URL string
	// ConnectTimeout bounds how long Open keeps retrying an unreachable
	// database before it gives up. Zero means 30 seconds.
	ConnectTimeout time.Duration
	// MaxConns caps the pool. Zero means DefaultMaxConns, unless the URL
	// sets pool_max_conns.
	MaxConns int32
	// SearchPath, when set, is the schema list for every connection. Tests use
	// it to give each test a schema of its own.
	SearchPath string
}

// Validate reports a configuration that can never work, such as a URL that
// does not parse.
func (c Config) Validate() error {
	if c.URL == "" {
		return errors.New("DATABASE_URL is empty")
	}
	if _, err := pgxpool.ParseConfig(c.URL); err != nil {
		return fmt.Errorf("DATABASE_URL does not parse: %w", redactParseError(err))
	}
	if c.ConnectTimeout < 0 {
		return errors.New("database connect timeout is negative")
	}
	return nil
}

// redactParseError keeps the password out of messages about a bad URL: pgx's
// parse errors can quote the whole connection string.
func redactParseError(err error) error {
	var pe *pgconn.ParseConfigError
	if !errors.As(err, &pe) {
		return err
	}
	msg := pe.Error()
	if i := strings.LastIndex(msg, "`: "); i >= 0 {
		msg = msg[i+len("`: "):]
	}
	return errors.New(msg)
}

// DB is the shared connection pool behind every repository.
type DB struct {
	Pool *pgxpool.Pool
	log  *slog.Logger
}

// Open connects to Postgres, retrying with exponential backoff (logging each
// failure) until the database answers or cfg.ConnectTimeout passes.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*DB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	pcfg, _ := pgxpool.ParseConfig(cfg.URL)
	switch {
	case cfg.MaxConns > 0:
		pcfg.MaxConns = cfg.MaxConns
	case !strings.Contains(cfg.URL, "pool_max_conns"):
		pcfg.MaxConns = DefaultMaxConns
	}
	if cfg.SearchPath != "" {
		pcfg.ConnConfig.RuntimeParams["search_path"] = cfg.SearchPath
	}
	pcfg.ConnConfig.ConnectTimeout = 5 * time.Second
	timeout := cfg.ConnectTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("create pool: %w", err)
	}
	deadline := time.Now().Add(timeout)
	backoff := 200 * time.Millisecond
	for attempt := 1; ; attempt++ {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = pool.Ping(pctx)
		cancel()
		if err == nil {
			return &DB{Pool: pool, log: log}, nil
		}
		if ctx.Err() != nil || time.Now().Add(backoff).After(deadline) {
			pool.Close()
			return nil, fmt.Errorf("database at %s unreachable after %d attempts over %s: %w",
				pcfg.ConnConfig.Host, attempt, timeout, err)
		}
		log.Warn("database not reachable yet, retrying", "host", pcfg.ConnConfig.Host,
			"port", pcfg.ConnConfig.Port, "attempt", attempt, "retry_in", backoff, "err", err)
		select {
		case <-ctx.Done():
			pool.Close()
			return nil, ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// Ping reports whether the database answers now; readiness checks call it.
func (db *DB) Ping(ctx context.Context) error {
	return db.Pool.Ping(ctx)
}

// Close releases every connection.
func (db *DB) Close() {
	db.Pool.Close()
}

// InTx runs fn in one transaction, committing when fn returns nil and rolling
// back otherwise.
func (db *DB) InTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.Pool, fn)
}

// mapError turns Postgres constraint failures into this package's sentinels,
// keeping the original error wrapped for logs.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%w: %s", ErrConflict, pe.ConstraintName)
		case "23514", "23502", "22001", "22P02", "22003": // check, not null, too long, bad text, out of range
			return fmt.Errorf("%w: %s", ErrInvalid, pe.Message)
		case "23503": // foreign_key_violation
			return fmt.Errorf("%w: %s", ErrNotFound, pe.ConstraintName)
		}
		// Any other data exception or integrity violation (a NUL byte in
		// text, say) is a value the schema refuses: retrying cannot cure it.
		if strings.HasPrefix(pe.Code, "22") || strings.HasPrefix(pe.Code, "23") {
			return fmt.Errorf("%w: %s", ErrInvalid, pe.Message)
		}
	}
	return err
}
