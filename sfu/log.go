package sfu

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/pion/logging"
)

// slogFactory routes Pion's scoped loggers to one *slog.Logger so operators
// see SFU and Pion lines in the same structured stream. Pion's messages below
// min (in Pion's own levels) are dropped: its debug and info are ICE and DTLS
// chatter, lines for every viewer, so the default minimum is its warn level.
type slogFactory struct {
	log *slog.Logger
	min slog.Leveler
}

var _ logging.LoggerFactory = slogFactory{}

// NewLogger implements logging.LoggerFactory.
func (f slogFactory) NewLogger(scope string) logging.LeveledLogger {
	min := f.min
	if min == nil {
		min = slog.LevelWarn
	}
	return &slogLeveled{log: f.log.With("pion", scope), min: min}
}

type slogLeveled struct {
	log *slog.Logger
	min slog.Leveler
}

// pion is the level of each of Pion's methods, in slog's scale, against
// which slogLeveled.min is checked.
const (
	pionTrace = slog.LevelDebug - 4
	pionDebug = slog.LevelDebug
	pionInfo  = slog.LevelInfo
	pionWarn  = slog.LevelWarn
	pionError = slog.LevelError
)

// logf logs a message of Pion's level pion at slog level level. It checks
// both levels first so that dropped messages cost no formatting on Pion's
// hot paths.
func (l *slogLeveled) logf(pion, level slog.Level, format string, args ...any) {
	if pion < l.min.Level() || !l.log.Enabled(context.Background(), level) {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if level > slog.LevelDebug && isRoutine(msg) {
		level = slog.LevelDebug
		if !l.log.Enabled(context.Background(), level) {
			return
		}
	}
	l.log.Log(context.Background(), level, msg)
}

// routineTeardown are fragments of Pion's warnings and errors that a peer
// closing produces in the ordinary course: packets or reads still in flight
// when its transports shut down, pings before its candidates arrive. They
// are logged at debug, so an operator alerting on warn sees real trouble,
// not every departing viewer.
var routineTeardown = []string{
	"closed pipe",
	"already closed",
	"use of closed network connection",
	"agent is closed",
	"no candidate pairs",
	"without candidate pairs",
}

// isRoutine reports whether a Pion message is routine teardown chatter.
func isRoutine(msg string) bool {
	for _, frag := range routineTeardown {
		if strings.Contains(msg, frag) {
			return true
		}
	}
	return false
}

// The methods below implement logging.LeveledLogger; Pion's trace level
// maps below slog's debug.

func (l *slogLeveled) Trace(msg string) { l.logf(pionTrace, slog.LevelDebug-4, "%s", msg) }
func (l *slogLeveled) Tracef(format string, args ...any) {
	l.logf(pionTrace, slog.LevelDebug-4, format, args...)
}
func (l *slogLeveled) Debug(msg string) { l.logf(pionDebug, slog.LevelDebug, "%s", msg) }
func (l *slogLeveled) Debugf(format string, args ...any) {
	l.logf(pionDebug, slog.LevelDebug, format, args...)
}
func (l *slogLeveled) Info(msg string) { l.logf(pionInfo, slog.LevelInfo, "%s", msg) }
func (l *slogLeveled) Infof(format string, args ...any) {
	l.logf(pionInfo, slog.LevelInfo, format, args...)
}

// Pion's warnings are logged at Warn and its errors at Error, except the
// routine teardown messages (isRoutine), which go to Debug.
func (l *slogLeveled) Warn(msg string) { l.logf(pionWarn, slog.LevelWarn, "%s", msg) }
func (l *slogLeveled) Warnf(format string, args ...any) {
	l.logf(pionWarn, slog.LevelWarn, format, args...)
}
func (l *slogLeveled) Error(msg string) { l.logf(pionError, slog.LevelError, "%s", msg) }
func (l *slogLeveled) Errorf(format string, args ...any) {
	l.logf(pionError, slog.LevelError, format, args...)
}
