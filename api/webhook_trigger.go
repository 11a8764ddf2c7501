package api

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/events"
)

// triggerBuffer bounds the lot.closed webhooks waiting to be queued.
const triggerBuffer = 1024

// WebhookTrigger queues the lot.closed webhook of each lot that ends. It is
// an events.Subscriber on the room's owner node: OnEvent takes the result
// from the lot.closed event itself (no Postgres read) and hands it to Run
// without blocking, so the room's publisher goroutine never waits on Redis;
// Run enqueues the fan-out task (EnqueueLotClosed, idempotent per lot).
type WebhookTrigger struct {
	client  *asynq.Client
	log     *slog.Logger
	opts    []asynq.Option
	in      chan LotClosedEvent
	dropped atomic.Int64
}

var _ events.Subscriber = (*WebhookTrigger)(nil)

// NewWebhookTrigger returns a trigger that enqueues with client; opts go to
// EnqueueLotClosed (a queue other than DefaultWebhookQueue, say).
func NewWebhookTrigger(client *asynq.Client, log *slog.Logger, opts ...asynq.Option) *WebhookTrigger {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &WebhookTrigger{client: client, log: log, opts: opts, in: make(chan LotClosedEvent, triggerBuffer)}
}

// LotClosedFromEvent builds the webhook's event from a room's lot.closed
// event; ok is false for any other event. The fields are those of the
// committed lot result (storage.LotResult): winner and price only when
// sold, closed_at at Postgres's microsecond precision.
func LotClosedFromEvent(roomID string, e auction.Event) (LotClosedEvent, bool) {
	if e.Type != auction.EventLotClosed || e.Result == nil {
		return LotClosedEvent{}, false
	}
	r := e.Result
	ev := LotClosedEvent{LotID: e.LotID, RoomID: roomID, Outcome: string(r.Status), Currency: e.Currency,
		ClosedAt: r.ClosedAt.UTC().Truncate(time.Microsecond)}
	if r.Status == auction.StatusSold {
		winner, price := r.WinnerID, r.Price.Amount
		ev.WinnerID, ev.Price = &winner, &price
	}
	return ev, true
}

// OnEvent implements events.Subscriber. It never blocks: when the buffer is
// full the webhook is dropped and counted.
func (t *WebhookTrigger) OnEvent(roomID string, e auction.Event) {
	ev, ok := LotClosedFromEvent(roomID, e)
	if !ok {
		return
	}
	select {
	case t.in <- ev:
	default:
		n := t.dropped.Add(1)
		t.log.Warn("lot.closed webhook dropped: the trigger's buffer is full", "room", roomID, "lot", e.LotID,
			"dropped", n)
	}
}

// Dropped is how many webhooks OnEvent dropped because the buffer was full.
func (t *WebhookTrigger) Dropped() int64 { return t.dropped.Load() }

// Run enqueues what OnEvent takes until ctx is done.
func (t *WebhookTrigger) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-t.in:
			ectx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := EnqueueLotClosed(ectx, t.client, ev, t.opts...)
			cancel()
			if err != nil && ctx.Err() == nil {
				t.log.Warn("queueing the lot.closed webhook failed", "room", ev.RoomID, "lot", ev.LotID, "err", err)
			}
		}
	}
}
