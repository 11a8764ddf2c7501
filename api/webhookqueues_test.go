package api

import (
	"maps"
	"testing"

	"github.com/bidcast/bidcast/internal/namespace"
)

// TestWebhookWorkerQueues: the worker serves its deployment's webhooks
// queue and drains the one of releases before namespaces; a queue set by
// hand (as tests do) is served alone.
func TestWebhookWorkerQueues(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  WebhookConfig
		want map[string]int
	}{
		{"no namespace", WebhookConfig{}, map[string]int{"webhooks": 1}},
		{"namespace", WebhookConfig{Namespace: namespace.Namespace("x")}, map[string]int{"webhooks:x": 1, "webhooks": 1}},
		{"queue by hand", WebhookConfig{Queue: "mine", Namespace: namespace.Namespace("x")}, map[string]int{"mine": 1}},
	} {
		if got := tc.cfg.withDefaults().queues(); !maps.Equal(got, tc.want) {
			t.Errorf("%s: queues %v, want %v", tc.name, got, tc.want)
		}
	}
}
