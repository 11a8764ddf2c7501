package api

import (
	"testing"
	"time"
)

// TestWebhookRetryDelay: the default backoff doubles from 10 s up to an
// hour, and takes the 0 Asynq passes for a task recovered after its
// worker died (a negative shift used to panic the server).
func TestWebhookRetryDelay(t *testing.T) {
	delay := WebhookConfig{}.withDefaults().RetryDelay
	for n, want := range map[int]time.Duration{0: 10 * time.Second, 1: 10 * time.Second, 2: 20 * time.Second,
		3: 40 * time.Second, 9: 2560 * time.Second, 10: time.Hour, 100: time.Hour} {
		if got := delay(n); got != want {
			t.Errorf("RetryDelay(%d) = %v, want %v", n, got, want)
		}
	}
}
