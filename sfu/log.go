package sfu

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// slogFactory routes Pion's scoped loggers to one *slog.Logger so operators
// see SFU and Pion lines in the same structured stream. Pion's trace and debug
// output is very chatty, so both go to slog's Debug level.
type slogFactory struct{ log *slog.Logger }

var _ logging.LoggerFactory = slogFactory{}

// NewLogger implements logging.LoggerFactory.
func (f slogFactory) NewLogger(scope string) logging.LeveledLogger {
	return &slogLeveled{log: f.log.With("pion", scope)}
}

type slogLeveled struct{ log *slog.Logger }

// logf checks Enabled first so that disabled debug logging costs no
// formatting on Pion's hot paths.
func (l *slogLeveled) logf(level slog.Level, format string, args ...any) {
	if !l.log.Enabled(context.Background(), level) {
		return
	}
	l.log.Log(context.Background(), level, fmt.Sprintf(format, args...))
}

// The methods below implement logging.LeveledLogger; Pion's trace level
// maps below slog's debug.

func (l *slogLeveled) Trace(msg string) { l.logf(slog.LevelDebug-4, "%s", msg) }
func (l *slogLeveled) Tracef(format string, args ...any) {
	l.logf(slog.LevelDebug-4, format, args...)
}
func (l *slogLeveled) Debug(msg string)                  { l.logf(slog.LevelDebug, "%s", msg) }
func (l *slogLeveled) Debugf(format string, args ...any) { l.logf(slog.LevelDebug, format, args...) }
func (l *slogLeveled) Info(msg string)                   { l.logf(slog.LevelInfo, "%s", msg) }
func (l *slogLeveled) Infof(format string, args ...any)  { l.logf(slog.LevelInfo, format, args...) }

// Pion warns about routine events in an SFU's life (a peer closing while
// packets are in flight, pings before candidates arrive), so its warnings
// are logged at Info and its errors at Warn: operators alerting on Warn
// should see the SFU's own problems, not every departing viewer.
func (l *slogLeveled) Warn(msg string)                   { l.logf(slog.LevelInfo, "%s", msg) }
func (l *slogLeveled) Warnf(format string, args ...any)  { l.logf(slog.LevelInfo, format, args...) }
func (l *slogLeveled) Error(msg string)                  { l.logf(slog.LevelWarn, "%s", msg) }
func (l *slogLeveled) Errorf(format string, args ...any) { l.logf(slog.LevelWarn, format, args...) }
