// Package asynqlog routes Asynq's log lines into slog, for every Asynq
// server and client the project runs (bid pipelines, the background worker,
// webhooks, media processing).
package asynqlog

import (
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"
)

// logger implements asynq.Logger over a slog.Logger.
type logger struct{ log *slog.Logger }

// New returns an asynq.Logger writing to log, each line tagged
// component=asynq. Asynq's Fatal is logged as an error with fatal=true:
// a library must not end the process.
func New(log *slog.Logger) asynq.Logger { return logger{log: log} }

func (l logger) Debug(args ...any) { l.log.Debug(fmt.Sprint(args...), "component", "asynq") }
func (l logger) Info(args ...any)  { l.log.Info(fmt.Sprint(args...), "component", "asynq") }
func (l logger) Warn(args ...any)  { l.log.Warn(fmt.Sprint(args...), "component", "asynq") }
func (l logger) Error(args ...any) { l.log.Error(fmt.Sprint(args...), "component", "asynq") }
func (l logger) Fatal(args ...any) {
	l.log.Error(fmt.Sprint(args...), "component", "asynq", "fatal", true)
}
