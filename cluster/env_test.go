package cluster

import (
	"strings"
	"testing"
)

// TestDefaultNodeIDIsStable: without NODE_ID a node restarted in the same
// place gets the same ID (so it takes its rooms back at once), and two
// nodes on one host with different addresses get different ones.
func TestDefaultNodeIDIsStable(t *testing.T) {
	a1, a2 := DefaultNodeID("127.0.0.1:8080"), DefaultNodeID("127.0.0.1:8080")
	b := DefaultNodeID("127.0.0.1:8081")
	if a1 != a2 {
		t.Fatalf("default NODE_ID changed between calls: %q, %q", a1, a2)
	}
	if a1 == b {
		t.Fatalf("two addresses share the default NODE_ID %q", a1)
	}
}

// TestConfigFromEnv reads the cluster's variables: NODE_URL defaults to the
// public URL, a relative NODE_URL and a short CLUSTER_SECRET are refused
// naming their variable.
func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		env     map[string]string
		wantURL string
		wantErr string
	}{
		{map[string]string{}, "https://auction.example", ""},
		{map[string]string{"NODE_URL": "https://n1.example/", "CLUSTER_SECRET": "0123456789abcdef", "CLUSTER_NODE_VIEWERS": "50"}, "https://n1.example", ""},
		{map[string]string{"NODE_URL": "n1.example"}, "", "NODE_URL"},
		{map[string]string{"CLUSTER_SECRET": "short"}, "", "CLUSTER_SECRET"},
		{map[string]string{"CLUSTER_NODE_VIEWERS": "none"}, "", "CLUSTER_NODE_VIEWERS"},
	}
	for _, tc := range tests {
		c, err := ConfigFromEnv(func(k string) string { return tc.env[k] }, "n1", "https://auction.example/")
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v: err = %v, want one naming %s", tc.env, err, tc.wantErr)
			}
			continue
		}
		if err != nil || c.PublicURL != tc.wantURL || c.NodeID != "n1" {
			t.Errorf("%v: %+v, %v; want URL %s", tc.env, c, err, tc.wantURL)
		}
	}
}
