package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bidcast/bidcast/internal/ids"
)

// Webhook is a seller's endpoint that receives signed event notifications.
type Webhook struct {
	ID      string
	OwnerID string
	URL     string
	// Secret is the HMAC key deliveries are signed with.
	Secret    string
	Events    []string
	Active    bool
	CreatedAt time.Time
}

// WebhookDelivery is one attempt to deliver an event to a webhook.
type WebhookDelivery struct {
	ID        string
	WebhookID string
	EventID   string
	EventType string
	Attempt   int
	// StatusCode is nil when the endpoint gave no HTTP answer.
	StatusCode *int
	Error      string
	DurationMS int
	CreatedAt  time.Time
}

// Webhooks is the repository of sellers' webhooks and their delivery log.
type Webhooks struct{ db *DB }

// NewWebhooks returns the webhooks repository over db.
func NewWebhooks(db *DB) *Webhooks { return &Webhooks{db: db} }

const webhookColumns = `id, owner_id, url, secret, events, active, created_at`

func scanWebhook(row interface{ Scan(...any) error }) (Webhook, error) {
	var w Webhook
	err := row.Scan(&w.ID, &w.OwnerID, &w.URL, &w.Secret, &w.Events, &w.Active, &w.CreatedAt)
	return w, mapError(err)
}

// ErrWebhookLimit is returned by Create when the owner already has the
// most webhooks allowed. It wraps ErrLimit.
var ErrWebhookLimit = fmt.Errorf("webhooks per owner: %w", ErrLimit)

// Create registers a webhook unless its owner already has maxPerOwner of
// them (then ErrWebhookLimit). The count and the insert run in one
// transaction under the owner's lock, so parallel registrations cannot
// overshoot the cap.
func (r *Webhooks) Create(ctx context.Context, w Webhook, maxPerOwner int) (Webhook, error) {
	if !ids.Valid(w.OwnerID) {
		return Webhook{}, fmt.Errorf("create webhook for %q: %w", w.OwnerID, ErrInvalid)
	}
	var out Webhook
	err := r.db.InTx(ctx, func(tx pgx.Tx) error {
		if err := lockOwner(ctx, tx, "webhooks", w.OwnerID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM webhooks WHERE owner_id = $1`, w.OwnerID).Scan(&n); err != nil {
			return mapError(err)
		}
		if n >= maxPerOwner {
			return ErrWebhookLimit
		}
		var err error
		out, err = scanWebhook(tx.QueryRow(ctx, `INSERT INTO webhooks (owner_id, url, secret, events)
			VALUES ($1, $2, $3, $4) RETURNING `+webhookColumns, w.OwnerID, w.URL, w.Secret, w.Events))
		return err
	})
	if err != nil {
		return Webhook{}, fmt.Errorf("create webhook for %s: %w", w.OwnerID, err)
	}
	return out, nil
}

// Get returns the webhook with the given ID.
func (r *Webhooks) Get(ctx context.Context, id string) (Webhook, error) {
	if !ids.Valid(id) {
		return Webhook{}, fmt.Errorf("get webhook %q: %w", id, ErrNotFound)
	}
	w, err := scanWebhook(r.db.Pool.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = $1`, id))
	if err != nil {
		return Webhook{}, fmt.Errorf("get webhook %s: %w", id, err)
	}
	return w, nil
}

// Delete removes a webhook and its delivery log.
func (r *Webhooks) Delete(ctx context.Context, id string) error {
	if !ids.Valid(id) {
		return fmt.Errorf("delete webhook %q: %w", id, ErrNotFound)
	}
	tag, err := r.db.Pool.Exec(ctx, `DELETE FROM webhooks WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete webhook %s: %w", id, mapError(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete webhook %s: %w", id, ErrNotFound)
	}
	return nil
}

// ListByOwnerAfter returns up to limit of an owner's webhooks, newest
// first, starting after the key.
func (r *Webhooks) ListByOwnerAfter(ctx context.Context, ownerID string, after *PageKey, limit int) ([]Webhook, error) {
	if !ids.Valid(ownerID) {
		return nil, nil
	}
	at, id := pageArgs(after)
	return r.list(ctx, `SELECT `+webhookColumns+` FROM webhooks
		WHERE owner_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
		ORDER BY created_at DESC, id DESC LIMIT $4`, ownerID, at, id, limit)
}

// Subscribed returns the owner's active webhooks that want the event type.
func (r *Webhooks) Subscribed(ctx context.Context, ownerID, eventType string) ([]Webhook, error) {
	return r.list(ctx, `SELECT `+webhookColumns+` FROM webhooks
		WHERE owner_id = $1 AND active AND $2 = ANY(events) ORDER BY created_at, id`, ownerID, eventType)
}

func (r *Webhooks) list(ctx context.Context, q string, args ...any) ([]Webhook, error) {
	rows, err := r.db.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", mapError(err))
	}
	out, err := collect(rows, scanWebhook)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return out, nil
}

// RecordDelivery appends an attempt to the delivery log.
func (r *Webhooks) RecordDelivery(ctx context.Context, d WebhookDelivery) (WebhookDelivery, error) {
	if len(d.Error) > 1000 {
		d.Error = d.Error[:1000]
	}
	err := r.db.Pool.QueryRow(ctx, `INSERT INTO webhook_deliveries
		(webhook_id, event_id, event_type, attempt, status_code, error, duration_ms)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, created_at`,
		d.WebhookID, d.EventID, d.EventType, d.Attempt, d.StatusCode, d.Error, d.DurationMS).Scan(&d.ID, &d.CreatedAt)
	if err != nil {
		return WebhookDelivery{}, fmt.Errorf("record delivery of %s to webhook %s: %w", d.EventID, d.WebhookID, mapError(err))
	}
	return d, nil
}

// DeliveriesAfter returns up to limit delivery attempts of a webhook, newest
// first, starting after the key.
func (r *Webhooks) DeliveriesAfter(ctx context.Context, webhookID string, after *PageKey, limit int) ([]WebhookDelivery, error) {
	at, id := pageArgs(after)
	rows, err := r.db.Pool.Query(ctx, `SELECT id, webhook_id, event_id, event_type, attempt, status_code, error,
		duration_ms, created_at FROM webhook_deliveries
		WHERE webhook_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
		ORDER BY created_at DESC, id DESC LIMIT $4`, webhookID, at, id, limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of webhook %s: %w", webhookID, mapError(err))
	}
	out, err := collect(rows, func(row interface{ Scan(...any) error }) (d WebhookDelivery, err error) {
		err = row.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.EventType, &d.Attempt, &d.StatusCode, &d.Error,
			&d.DurationMS, &d.CreatedAt)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("list deliveries of webhook %s: %w", webhookID, err)
	}
	return out, nil
}
