// Package depfail tells a dependency that is down or slow apart from every
// other error.
//
// Clients of the WebSocket protocol and the JSON API are promised the code
// "unavailable" (retry later, with the same bid_id for bids) when Postgres or
// Redis cannot be reached, and "internal" only for bugs. The errors that mean
// "a dependency is not there" arrive in many shapes, from the network stack,
// pgx and go-redis, wrapped by every layer between; IsUnavailable is the one
// place that recognizes them.
package depfail

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"
)

// IsUnavailable reports whether err (or anything it wraps) says that a
// dependency could not be reached or did not answer in time, as opposed to
// refusing the request: a retry may succeed once it is back.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, redis.ErrClosed) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08 is "connection exception"; 57P01–57P03 are the server
		// shutting down or starting up; 53300 is too many connections.
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" ||
			pe.Code == "57P03" || pe.Code == "53300"
	}
	// Redis answers these while it loads its data set or fails over.
	msg := err.Error()
	return strings.Contains(msg, "LOADING ") || strings.Contains(msg, "MASTERDOWN ") ||
		strings.Contains(msg, "TRYAGAIN ")
}
