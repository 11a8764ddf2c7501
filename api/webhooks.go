package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/bidcast/bidcast/storage"
)

// EventLotClosed is the only event type so far: a lot ended sold, unsold or
// cancelled.
const EventLotClosed = "lot.closed"

// webhookJSON is a webhook as its owner sees it. The secret appears only in
// the answer to registration.
type webhookJSON struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	Secret    string    `json:"secret,omitempty"`
}

func toWebhookJSON(h storage.Webhook) webhookJSON {
	return webhookJSON{ID: h.ID, URL: h.URL, Events: h.Events, Active: h.Active, CreatedAt: h.CreatedAt}
}

// webhookInput is the body that registers a webhook.
type webhookInput struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

func (s *server) createWebhook(w http.ResponseWriter, r *http.Request, p Principal) error {
	var in webhookInput
	if err := s.decode(w, r, &in); err != nil {
		return err
	}
	if in.URL == "" {
		return invalid("url", "is required")
	}
	if in.Events == nil {
		in.Events = []string{EventLotClosed}
	}
	if len(in.Events) == 0 {
		return invalid("events", "needs at least one event type")
	}
	for i, e := range in.Events {
		if e != EventLotClosed {
			return invalid("events["+itoa(i)+"]", "unknown event type; known: %s", EventLotClosed)
		}
	}
	slices.Sort(in.Events)
	in.Events = slices.Compact(in.Events)
	if err := s.targets.checkURL(r.Context(), in.URL); err != nil {
		return err
	}
	secret, err := newWebhookSecret()
	if err != nil {
		return err
	}
	// The cap is checked by the insert itself, under the seller's lock: a
	// count made here first could be raced past by parallel registrations.
	h, err := s.webhooks.Create(r.Context(), storage.Webhook{OwnerID: p.UserID, URL: in.URL, Secret: secret,
		Events: in.Events}, s.cfg.Webhooks.MaxPerOwner)
	if errors.Is(err, storage.ErrLimit) {
		return conflict("at most %d webhooks per seller; delete one first", s.cfg.Webhooks.MaxPerOwner)
	}
	if err != nil {
		return err
	}
	out := toWebhookJSON(h)
	out.Secret = secret
	w.Header().Set("Location", Prefix+"/webhooks/"+h.ID)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// newWebhookSecret makes a random HMAC key, prefixed so that a leaked one is
// easy to recognise in logs and by secret scanners.
func newWebhookSecret() (string, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	return "whsec_" + base64.RawURLEncoding.EncodeToString(raw[:]), nil
}

// ownWebhook loads a webhook of the caller's; others' are "missing".
func (s *server) ownWebhook(ctx context.Context, p Principal, id string) (storage.Webhook, error) {
	h, err := s.webhooks.Get(ctx, id)
	if err != nil {
		return storage.Webhook{}, err
	}
	if !p.Owns(h.OwnerID) {
		return storage.Webhook{}, errNotFound
	}
	return h, nil
}

func (s *server) listWebhooks(w http.ResponseWriter, r *http.Request, p Principal) error {
	pg, err := s.keyPage(r)
	if err != nil {
		return err
	}
	rows, err := s.webhooks.ListByOwnerAfter(r.Context(), p.UserID, pg.After(), pg.Limit+1)
	if err != nil {
		return err
	}
	rows, next := trimPage(rows, pg.Limit, func(h storage.Webhook) string {
		return keyCursor(storage.PageKey{At: h.CreatedAt, ID: h.ID})
	})
	writeJSON(w, http.StatusOK, pageOf[webhookJSON]{Items: mapSlice(rows, toWebhookJSON), NextCursor: next})
	return nil
}

func (s *server) getWebhook(w http.ResponseWriter, r *http.Request, p Principal) error {
	h, err := s.ownWebhook(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toWebhookJSON(h))
	return nil
}

func (s *server) deleteWebhook(w http.ResponseWriter, r *http.Request, p Principal) error {
	h, err := s.ownWebhook(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.webhooks.Delete(r.Context(), h.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deliveryJSON is one delivery attempt in a webhook's log.
type deliveryJSON struct {
	ID         string    `json:"id"`
	EventID    string    `json:"event_id"`
	EventType  string    `json:"event_type"`
	Attempt    int       `json:"attempt"`
	StatusCode *int      `json:"status_code"`
	Error      string    `json:"error,omitempty"`
	DurationMS int       `json:"duration_ms"`
	CreatedAt  time.Time `json:"created_at"`
}

func (s *server) webhookDeliveries(w http.ResponseWriter, r *http.Request, p Principal) error {
	h, err := s.ownWebhook(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	pg, err := s.keyPage(r)
	if err != nil {
		return err
	}
	rows, err := s.webhooks.DeliveriesAfter(r.Context(), h.ID, pg.After(), pg.Limit+1)
	if err != nil {
		return err
	}
	rows, next := trimPage(rows, pg.Limit, func(d storage.WebhookDelivery) string {
		return keyCursor(storage.PageKey{At: d.CreatedAt, ID: d.ID})
	})
	writeJSON(w, http.StatusOK, pageOf[deliveryJSON]{NextCursor: next,
		Items: mapSlice(rows, func(d storage.WebhookDelivery) deliveryJSON {
			return deliveryJSON{ID: d.ID, EventID: d.EventID, EventType: d.EventType, Attempt: d.Attempt,
				StatusCode: d.StatusCode, Error: d.Error, DurationMS: d.DurationMS, CreatedAt: d.CreatedAt}
		})})
	return nil
}
