package depfail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"
)

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestIsUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addr := closedAddr(t)

	// Real errors from the real drivers against a port nobody serves.
	_, pgErr := pgx.Connect(ctx, "postgres://u:p@"+addr+"/db?connect_timeout=2")
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: 2 * time.Second})
	defer rdb.Close()
	redisErr := rdb.Get(ctx, "k").Err()
	closed := redis.NewClient(&redis.Options{Addr: addr})
	closed.Close()
	closedErr := closed.Get(ctx, "k").Err()

	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", errors.New("lot not found"), false},
		{"redis nil reply", redis.Nil, false},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"check violation wrapped", fmt.Errorf("insert: %w", &pgconn.PgError{Code: "23514"}), false},
		{"postgres refused", pgErr, true},
		{"postgres refused, wrapped twice", fmt.Errorf("join: %w", fmt.Errorf("load room: %w", pgErr)), true},
		{"redis refused", redisErr, true},
		{"redis client closed", closedErr, true},
		{"redis pool timeout", fmt.Errorf("sequence bid: %w", redis.ErrPoolTimeout), true},
		{"redis loading", errors.New("LOADING Redis is loading the dataset in memory"), true},
		{"deadline", fmt.Errorf("submit: %w", context.DeadlineExceeded), true},
		{"postgres shutting down", &pgconn.PgError{Code: "57P01"}, true},
		{"postgres connection exception", &pgconn.PgError{Code: "08006"}, true},
	}
	for _, c := range cases {
		if got := IsUnavailable(c.err); got != c.want {
			t.Errorf("%s: IsUnavailable(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
	if pgErr == nil || redisErr == nil {
		t.Fatal("expected the drivers to fail against a closed port")
	}
}
