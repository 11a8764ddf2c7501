package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/bidcast/bidcast/internal/asynqlog"
	"github.com/bidcast/bidcast/storage"
)

// WebhookWorker runs webhook deliveries: an Asynq server on the webhook
// queue. Any number of nodes may run one; Asynq hands each task to one.
type WebhookWorker struct {
	srv     *asynq.Server
	handler *webhookHandler
	client  *asynq.Client
	// ownClient is set when the worker opened client itself (no
	// Deps.Tasks), so it closes it; a caller's client is the caller's.
	ownClient bool
	log       *slog.Logger
}

// NewWebhookWorker returns a worker over deps.DB and deps.Redis (both
// required; deps.Auth is not used), enqueueing through deps.Tasks when set. cfg.Webhooks configures it:
// PollInterval, Queue, Timeout, MaxRetry, RetryDelay and
// AllowPrivateTargets.
func NewWebhookWorker(cfg Config, deps Deps) (*WebhookWorker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.DB == nil || deps.Redis == nil {
		return nil, errors.New("api: the webhook worker needs Deps.DB and Deps.Redis")
	}
	cfg = cfg.withDefaults()
	wc := cfg.Webhooks
	log := deps.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	log = log.With("worker", "webhooks") // deps.Log names the component
	client, ownClient := deps.Tasks, false
	if client == nil {
		client, ownClient = asynq.NewClientFromRedisClient(deps.Redis), true
	}
	h := &webhookHandler{cfg: wc, rooms: storage.NewRooms(deps.DB), webhooks: storage.NewWebhooks(deps.DB),
		client: client, http: newTargetPolicy(wc).client(wc.Timeout),
		log: log, now: cfg.Now}
	srv := asynq.NewServerFromRedisClient(deps.Redis, asynq.Config{
		Concurrency:              wc.Concurrency,
		Queues:                   wc.queues(),
		TaskCheckInterval:        wc.PollInterval,
		DelayedTaskCheckInterval: wc.PollInterval,
		RetryDelayFunc: func(n int, _ error, _ *asynq.Task) time.Duration {
			return wc.RetryDelay(n)
		},
		Logger:          asynqlog.New(log),
		LogLevel:        asynq.WarnLevel,
		ShutdownTimeout: wc.Timeout + 5*time.Second,
	})
	return &WebhookWorker{srv: srv, handler: h, client: client, ownClient: ownClient, log: log}, nil
}

// Handler returns the task handler, for mounting on an Asynq server of the
// caller's instead of Run's.
func (w *WebhookWorker) Handler() asynq.Handler {
	mux := asynq.NewServeMux()
	mux.HandleFunc(TaskWebhookLotClosed, w.handler.fanOut)
	mux.HandleFunc(TaskWebhookDeliver, w.handler.deliver)
	return mux
}

// Run processes deliveries until ctx is done, then waits for attempts in
// flight (bounded by the delivery timeout) and returns.
func (w *WebhookWorker) Run(ctx context.Context) error {
	if err := w.srv.Start(w.Handler()); err != nil {
		return fmt.Errorf("start webhook worker: %w", err)
	}
	<-ctx.Done()
	w.srv.Shutdown()
	if w.ownClient {
		_ = w.client.Close()
	}
	return nil
}

// RunWebhookWorker builds a worker and runs it until ctx is done.
func RunWebhookWorker(ctx context.Context, cfg Config, deps Deps) error {
	w, err := NewWebhookWorker(cfg, deps)
	if err != nil {
		return err
	}
	return w.Run(ctx)
}
