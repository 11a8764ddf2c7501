package sfu

import (
	"strings"
	"testing"
	"time"
)

// envOf reads a map as the environment.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// TestSFUGOPCacheConfig: SFU_GOP_CACHE_BYTES reaches the SFU, and a bad
// value is refused naming it.
func TestSFUGOPCacheConfig(t *testing.T) {
	cfg, err := ConfigFromEnv(envOf(map[string]string{}))
	if err != nil || cfg.GOPCacheBytes != 4<<20 {
		t.Fatalf("default: %d, %v; want 4 MiB", cfg.GOPCacheBytes, err)
	}
	if cfg, err = ConfigFromEnv(envOf(map[string]string{"SFU_GOP_CACHE_BYTES": "1048576"})); err != nil || cfg.GOPCacheBytes != 1<<20 {
		t.Fatalf("1 MiB: %d, %v", cfg.GOPCacheBytes, err)
	}
	for _, bad := range []string{"lots", "-1", "2147483648"} {
		if _, err := ConfigFromEnv(envOf(map[string]string{"SFU_GOP_CACHE_BYTES": bad})); err == nil || !strings.Contains(err.Error(), "SFU_GOP_CACHE_BYTES") {
			t.Errorf("%q: err = %v, want one naming SFU_GOP_CACHE_BYTES", bad, err)
		}
	}
}

// TestSFUTURNConfig: SFU_TURN_URLS, SFU_TURN_SECRET and SFU_TURN_TTL reach
// the SFU's TURNConfig, and a half-configured or out-of-range setting is
// refused naming its variable.
func TestSFUTURNConfig(t *testing.T) {
	urls := "turn:turn.example.com:3478?transport=udp, turn:turn.example.com:3478?transport=tcp"
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
		wantTTL time.Duration
	}{
		{"off by default", map[string]string{}, "", 5 * time.Minute},
		{"on", map[string]string{"SFU_TURN_URLS": urls, "SFU_TURN_SECRET": "s", "SFU_TURN_TTL": "90s"}, "", 90 * time.Second},
		{"default TTL", map[string]string{"SFU_TURN_URLS": urls, "SFU_TURN_SECRET": "s"}, "", 5 * time.Minute},
		{"no secret", map[string]string{"SFU_TURN_URLS": urls}, "SFU_TURN_SECRET is required", 0},
		{"no URLs", map[string]string{"SFU_TURN_SECRET": "s"}, "SFU_TURN_URLS is required", 0},
		{"bad TTL", map[string]string{"SFU_TURN_URLS": urls, "SFU_TURN_SECRET": "s", "SFU_TURN_TTL": "soon"}, "SFU_TURN_TTL=", 0},
		{"TTL too long", map[string]string{"SFU_TURN_URLS": urls, "SFU_TURN_SECRET": "s", "SFU_TURN_TTL": "48h"}, "SFU_TURN_TTL 48h0m0s", 0},
		{"a stun URL", map[string]string{"SFU_TURN_URLS": "stun:x:3478", "SFU_TURN_SECRET": "s"}, "not a turn: or turns: URL", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ConfigFromEnv(envOf(tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.TURN.TTL != tc.wantTTL {
				t.Errorf("TTL = %v, want %v", cfg.TURN.TTL, tc.wantTTL)
			}
			if tc.env["SFU_TURN_URLS"] != "" && (len(cfg.TURN.URLs) != 2 || cfg.TURN.URLs[1] != "turn:turn.example.com:3478?transport=tcp") {
				t.Errorf("URLs = %q", cfg.TURN.URLs)
			}
		})
	}
}
