package api

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/bidcast/bidcast/internal/clientip"
	"github.com/bidcast/bidcast/internal/namespace"
)

// Config tunes the API. The zero value is usable: every zero field takes the
// default documented on it.
type Config struct {
	// MaxBodyBytes bounds a request body. Zero means 64 KiB.
	MaxBodyBytes int64
	// DefaultPageSize is the page size when a listing is asked without
	// limit. Zero means 20.
	DefaultPageSize int
	// MaxPageSize caps the limit parameter. Zero means 100.
	MaxPageSize int
	// RateLimit bounds requests per user and per client address.
	RateLimit RateLimitConfig
	// Webhooks configures webhook registration and delivery.
	Webhooks WebhookConfig
	// Now is the clock; nil means time.Now. Tests inject one.
	Now func() time.Time
}

// RateLimitConfig bounds how many requests a caller makes per window, with a
// fixed-window counter in Redis shared by every node.
type RateLimitConfig struct {
	// Disabled turns the limiter off (a load test, say).
	Disabled bool
	// Window is the counting window. Zero means one minute.
	Window time.Duration
	// PerUser is the budget of a signed-in user per window. Zero means 600.
	PerUser int
	// PerIP is the budget of a client address per window, signed in or
	// not. Zero means 1200, enough for a household behind one NAT.
	PerIP int
	// ClientIP finds the client address of a request; its zero value
	// trusts no proxy and uses the connection's peer (TRUSTED_PROXIES).
	ClientIP clientip.Resolver
	// KeyPrefix prefixes the Redis keys. Zero means "bidcast:api:rl:".
	KeyPrefix string
}

// WebhookConfig configures sellers' webhooks.
type WebhookConfig struct {
	// AllowPrivateTargets lets webhook URLs point at loopback, private and
	// link-local addresses. Off in production, where it would let a seller
	// make the server probe its own network; tests turn it on to deliver
	// to an httptest server.
	AllowPrivateTargets bool
	// Queue is the Asynq queue deliveries run on. Zero means the
	// "webhooks" queue of Namespace, whose worker also drains the queue of
	// releases before namespaces.
	Queue string
	// Namespace is the deployment's namespace of shared Redis names
	// (internal/namespace); None keeps the names of earlier releases.
	Namespace namespace.Namespace
	// Timeout bounds one delivery attempt. Zero means 10 seconds.
	Timeout time.Duration
	// MaxRetry is how many times a failed delivery is retried. Zero means 8.
	MaxRetry int
	// RetryDelay gives the wait before retry n (1-based); nil means
	// exponential backoff from 10 seconds, capped at one hour.
	RetryDelay func(n int) time.Duration
	// MaxPerOwner caps how many webhooks one seller may register. Zero
	// means 10.
	MaxPerOwner int
	// Concurrency is how many deliveries one worker makes at once. Zero
	// means 4.
	Concurrency int
	// PollInterval is how often an idle worker looks for due deliveries
	// and retries. Zero means one second.
	PollInterval time.Duration
	// LookupNetIP resolves webhook hosts, at registration and before every
	// delivery connects; nil means net.DefaultResolver.LookupNetIP. Tests
	// inject one to play DNS, such as a name that turns private after it
	// was registered.
	LookupNetIP func(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 64 << 10
	}
	if c.DefaultPageSize == 0 {
		c.DefaultPageSize = 20
	}
	if c.MaxPageSize == 0 {
		c.MaxPageSize = 100
	}
	if c.RateLimit.Window == 0 {
		c.RateLimit.Window = time.Minute
	}
	if c.RateLimit.PerUser == 0 {
		c.RateLimit.PerUser = 600
	}
	if c.RateLimit.PerIP == 0 {
		c.RateLimit.PerIP = 1200
	}
	if c.RateLimit.KeyPrefix == "" {
		c.RateLimit.KeyPrefix = "bidcast:api:rl:"
	}
	c.Webhooks = c.Webhooks.withDefaults()
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

func (c WebhookConfig) withDefaults() WebhookConfig {
	if c.Queue == "" {
		c.Queue = c.Namespace.Name(DefaultWebhookQueue)
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxRetry == 0 {
		c.MaxRetry = 8
	}
	if c.RetryDelay == nil {
		c.RetryDelay = func(n int) time.Duration {
			// Asynq passes 0 for a task recovered after its worker died
			// (lease expired), not only 1 and up.
			return min(10*time.Second<<min(max(n-1, 0), 10), time.Hour)
		}
	}
	if c.MaxPerOwner == 0 {
		c.MaxPerOwner = 10
	}
	if c.Concurrency == 0 {
		c.Concurrency = 4
	}
	if c.PollInterval == 0 {
		c.PollInterval = time.Second
	}
	return c
}

// Validate reports settings that can never work.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.MaxBodyBytes < 1024:
		return fmt.Errorf("api: MaxBodyBytes %d is below 1 KiB", c.MaxBodyBytes)
	case c.DefaultPageSize < 1 || c.MaxPageSize < c.DefaultPageSize:
		return fmt.Errorf("api: page sizes %d (default) and %d (max) are inconsistent", c.DefaultPageSize, c.MaxPageSize)
	case c.RateLimit.Window < time.Second:
		return errors.New("api: rate-limit window is shorter than a second")
	case c.RateLimit.PerUser < 0 || c.RateLimit.PerIP < 0:
		return errors.New("api: rate-limit budgets are negative")
	case c.Webhooks.Timeout <= 0 || c.Webhooks.MaxRetry < 0 || c.Webhooks.MaxPerOwner < 0 ||
		c.Webhooks.Concurrency < 0 || c.Webhooks.PollInterval <= 0:
		return errors.New("api: webhook timeout, retries, cap, concurrency and poll interval must not be negative")
	}
	return nil
}

// queues returns the worker's Asynq queue weights: a queue set by hand
// alone, else the namespace's webhooks queue and the legacy one it drains.
func (c WebhookConfig) queues() map[string]int {
	if c.Queue != c.Namespace.Name(DefaultWebhookQueue) {
		return map[string]int{c.Queue: 1}
	}
	return c.Namespace.Queues(map[string]int{DefaultWebhookQueue: 1})
}
