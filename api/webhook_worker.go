package api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/bidcast/bidcast/internal/ids"
	"github.com/bidcast/bidcast/storage"
)

// Asynq task types of the webhook pipeline. A lot.closed task fans out to
// one deliver task per subscribed webhook, so a failing endpoint is retried
// alone and never makes the others receive the event twice.
const (
	TaskWebhookLotClosed = "webhook:lot.closed"
	TaskWebhookDeliver   = "webhook:deliver"
)

// DefaultWebhookQueue is the queue EnqueueLotClosed uses unless told
// otherwise with asynq.Queue, and the base name of WebhookConfig.Queue.
const DefaultWebhookQueue = "webhooks"

// Headers of a delivery.
const (
	// HeaderSignature is "sha256=" + hex(HMAC-SHA256(secret, body)).
	HeaderSignature = "X-Bidcast-Signature"
	// HeaderTimestamp is the Unix time of the attempt, in seconds.
	HeaderTimestamp = "X-Bidcast-Timestamp"
	// HeaderEvent is the event type, e.g. lot.closed.
	HeaderEvent = "X-Bidcast-Event"
	// HeaderDelivery is the event ID; it is the same on every attempt, so
	// a receiver can drop duplicates.
	HeaderDelivery = "X-Bidcast-Delivery"
)

// LotClosedEvent is what the auction side reports when a lot closes: the
// committed lot result (storage.LotResult's content), as WebhookTrigger
// takes it from the room's lot.closed event (LotClosedFromEvent).
type LotClosedEvent struct {
	LotID    string    `json:"lot_id"`
	RoomID   string    `json:"room_id"`
	Outcome  string    `json:"outcome"`
	WinnerID *string   `json:"winner_id"`
	Price    *int64    `json:"price"`
	Currency string    `json:"currency"`
	ClosedAt time.Time `json:"closed_at"`
}

// eventEnvelope is the body of every delivery.
type eventEnvelope struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// EnqueueLotClosed schedules webhook deliveries of a lot.closed event. Call
// it after the lot's result has committed. It is idempotent per lot (the
// task ID is derived from the lot ID), so a caller that retries after a
// crash does not notify twice. opts may override the queue or retention.
func EnqueueLotClosed(ctx context.Context, client *asynq.Client, ev LotClosedEvent, opts ...asynq.Option) error {
	if !ids.Valid(ev.LotID) || !ids.Valid(ev.RoomID) {
		return fmt.Errorf("enqueue lot.closed: lot and room IDs must be UUIDs")
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode lot.closed of lot %s: %w", ev.LotID, err)
	}
	base := []asynq.Option{asynq.Queue(DefaultWebhookQueue), asynq.TaskID("lot.closed:" + ev.LotID),
		asynq.MaxRetry(10), asynq.Retention(24 * time.Hour)}
	_, err = client.EnqueueContext(ctx, asynq.NewTask(TaskWebhookLotClosed, payload), append(base, opts...)...)
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueue lot.closed of lot %s: %w", ev.LotID, err)
	}
	return nil
}

// deliverTask is the payload of one delivery: the webhook and the exact
// body, fixed at fan-out so every attempt sends the same bytes.
type deliverTask struct {
	WebhookID string          `json:"webhook_id"`
	EventID   string          `json:"event_id"`
	EventType string          `json:"event_type"`
	Body      json.RawMessage `json:"body"`
}

// webhookHandler runs the two task types.
type webhookHandler struct {
	cfg      WebhookConfig
	rooms    *storage.Rooms
	webhooks *storage.Webhooks
	client   *asynq.Client
	http     *http.Client
	log      *slog.Logger
	now      func() time.Time
}

// fanOut turns a lot.closed event into one deliver task per webhook of the
// room's seller.
func (h *webhookHandler) fanOut(ctx context.Context, t *asynq.Task) error {
	var ev LotClosedEvent
	if err := json.Unmarshal(t.Payload(), &ev); err != nil {
		return fmt.Errorf("decode lot.closed: %v: %w", err, asynq.SkipRetry)
	}
	room, err := h.rooms.Get(ctx, ev.RoomID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil // the room is gone; nobody to tell
	}
	if err != nil {
		return err
	}
	hooks, err := h.webhooks.Subscribed(ctx, room.SellerID, EventLotClosed)
	if err != nil || len(hooks) == 0 {
		return err
	}
	data, _ := json.Marshal(ev)
	env := eventEnvelope{ID: "evt_lot_closed_" + ev.LotID, Type: EventLotClosed, CreatedAt: h.now().UTC(), Data: data}
	body, _ := json.Marshal(env)
	for _, hook := range hooks {
		payload, _ := json.Marshal(deliverTask{WebhookID: hook.ID, EventID: env.ID, EventType: env.Type, Body: body})
		_, err := h.client.EnqueueContext(ctx, asynq.NewTask(TaskWebhookDeliver, payload),
			asynq.Queue(h.cfg.Queue), asynq.TaskID(env.ID+":"+hook.ID), asynq.MaxRetry(h.cfg.MaxRetry),
			asynq.Timeout(h.cfg.Timeout+5*time.Second), asynq.Retention(24*time.Hour))
		if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			return fmt.Errorf("enqueue delivery of %s to webhook %s: %w", env.ID, hook.ID, err)
		}
	}
	return nil
}

// deliver makes one attempt and logs it. A non-2xx answer or a network
// failure returns an error, and Asynq retries with backoff until MaxRetry.
func (h *webhookHandler) deliver(ctx context.Context, t *asynq.Task) error {
	var d deliverTask
	if err := json.Unmarshal(t.Payload(), &d); err != nil {
		return fmt.Errorf("decode delivery: %v: %w", err, asynq.SkipRetry)
	}
	hook, err := h.webhooks.Get(ctx, d.WebhookID)
	if errors.Is(err, storage.ErrNotFound) {
		return nil // deleted since: drop the event
	}
	if err != nil {
		return err
	}
	if !hook.Active {
		return nil
	}
	retried, _ := asynq.GetRetryCount(ctx)
	rec := storage.WebhookDelivery{WebhookID: hook.ID, EventID: d.EventID, EventType: d.EventType, Attempt: retried + 1}
	start := time.Now()
	status, sendErr := h.send(ctx, hook, d)
	rec.DurationMS = int(time.Since(start).Milliseconds())
	if status != 0 {
		rec.StatusCode = &status
	}
	switch {
	case sendErr != nil && status != 0:
		rec.Error = sendErr.Error()
	case sendErr != nil:
		// No HTTP answer: the error may name the address DNS gave, which
		// the seller must not learn; the log says which kind of failure.
		rec.Error = deliveryFailure(sendErr)
		h.log.Info("webhook delivery failed", "webhook", hook.ID, "event", d.EventID, "err", sendErr)
	}
	if _, err := h.webhooks.RecordDelivery(ctx, rec); err != nil {
		h.log.Warn("webhook delivery not logged", "webhook", hook.ID, "event", d.EventID, "err", err)
	}
	return sendErr
}

// send posts the body, signed, and reports the status it got.
func (h *webhookHandler) send(ctx context.Context, hook storage.Webhook, d deliverTask) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.URL, bytes.NewReader(d.Body))
	if err != nil {
		return 0, fmt.Errorf("build request: %v: %w", err, asynq.SkipRetry)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Bidcast-Webhooks/1")
	req.Header.Set(HeaderSignature, Sign(hook.Secret, d.Body))
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(h.now().Unix(), 10))
	req.Header.Set(HeaderEvent, d.EventType)
	req.Header.Set(HeaderDelivery, d.EventID)
	res, err := h.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("post: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, fmt.Errorf("endpoint answered %d", res.StatusCode)
	}
	return res.StatusCode, nil
}

// Sign returns the X-Bidcast-Signature value of body under secret.
// Receivers compute the same over the raw body and compare in constant time
// (hmac.Equal), as VerifySignature does.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature reports whether header is the signature of body under
// secret: the check a receiver written in Go would make.
func VerifySignature(secret string, body []byte, header string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(header))
}
