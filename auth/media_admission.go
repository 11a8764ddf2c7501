package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/internal/clientip"
	"github.com/bidcast/bidcast/internal/ratelimit"
	"github.com/bidcast/bidcast/sfu"
)

// MediaLimits are the per-client limits on WHIP and WHEP offers. A value of
// zero or less means no cap.
type MediaLimits struct {
	// ClientIP names a request's client (the trusted proxies).
	ClientIP clientip.Resolver
	// OffersPerMin bounds WHIP and WHEP POSTs per client address per minute.
	OffersPerMin int
	// ViewersPerUser and ViewersPerAddr bound open WHEP sessions per
	// signed-in user and per client address (IPv6: per /64), over all nodes.
	ViewersPerUser, ViewersPerAddr int
	// KeyPrefix starts the limits' Redis keys; "" means "bidcast:media:".
	KeyPrefix string
	// Now is the clock of the offer rate's windows; nil means time.Now.
	Now func() time.Time
}

// MediaAdmission admits WHIP and WHEP offers: every offer is charged to its
// client address's rate, and a WHEP viewer also takes a slot under its
// address and, when signed in, under its user. Publishers take no slot:
// they are bounded by the room's publish token and the SFU's own publisher
// cap, never by viewers. Admit is an sfu.Admission; it is safe for
// concurrent use.
type MediaAdmission struct {
	limits MediaLimits
	rate   *ratelimit.Window
	slots  *ratelimit.Slots
	svc    *Service
	log    *slog.Logger
}

// NewMediaAdmission returns the admission of WHIP and WHEP offers; Close
// stops its slots' heartbeat.
func NewMediaAdmission(l MediaLimits, rdb redis.UniversalClient, svc *Service, log *slog.Logger) *MediaAdmission {
	if l.KeyPrefix == "" {
		l.KeyPrefix = "bidcast:media:"
	}
	return &MediaAdmission{limits: l, svc: svc, log: log,
		rate:  ratelimit.NewWindow(rdb, l.KeyPrefix+"offers:", l.Now),
		slots: ratelimit.NewSlots(rdb, ratelimit.SlotsConfig{Prefix: l.KeyPrefix + "whep:", Log: log})}
}

// Close stops the slots' heartbeat.
func (m *MediaAdmission) Close() { m.slots.Close() }

var _ sfu.Admission = (*MediaAdmission)(nil).Admit

// Admit implements sfu.Admission. A limiter that does not answer lets the
// offer through (logged), like every limit of the server.
func (m *MediaAdmission) Admit(r *http.Request, _ string, publish bool) (func(), error) {
	addr := clientip.Bucket(m.limits.ClientIP.Addr(r))
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	if m.limits.OffersPerMin > 0 && addr != "" {
		ok, retry, err := m.rate.Allow(ctx, addr, m.limits.OffersPerMin, time.Minute)
		if err != nil {
			m.log.Warn("WHIP/WHEP rate limiter unavailable; letting the offer through", "err", err)
		} else if !ok {
			return nil, &sfu.LimitError{Reason: "too many offers from your address; retry later", RetryAfter: retry}
		}
	}
	if publish {
		return nil, nil
	}
	claims := []ratelimit.Claim{{Key: "addr:" + addr, Max: m.limits.ViewersPerAddr}}
	if addr == "" {
		claims = nil
	}
	if p, err := m.svc.Authenticate(r); err == nil && !p.Anonymous() {
		claims = append(claims, ratelimit.Claim{Key: "user:" + p.UserID, Max: m.limits.ViewersPerUser})
	}
	lease, err := m.slots.Acquire(ctx, claims...)
	var full *ratelimit.FullError
	switch {
	case errors.As(err, &full) && strings.HasPrefix(full.Key, "user:"):
		return nil, &sfu.LimitError{RetryAfter: 10 * time.Second,
			Reason: fmt.Sprintf("you already watch with %d sessions; end one first", full.Max)}
	case errors.As(err, &full):
		return nil, &sfu.LimitError{RetryAfter: 10 * time.Second,
			Reason: fmt.Sprintf("%d viewer sessions are already open from your network", full.Max)}
	case err != nil:
		m.log.Warn("WHEP session limiter unavailable; letting the viewer in", "err", err)
		return nil, nil
	}
	return lease.Release, nil
}
