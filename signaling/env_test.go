package signaling

import (
	"testing"
	"time"
)

// TestConfigFromEnv reads the connection caps and the event interval:
// defaults, 0 as no cap (no pacing), the switch that lifts the caps, and
// malformed values refused.
func TestConfigFromEnv(t *testing.T) {
	for _, tc := range []struct {
		env             map[string]string
		perUser, perAdr int
		interval        time.Duration
		ok              bool
	}{
		{map[string]string{}, 16, 50, DefaultEventInterval, true},
		{map[string]string{"WS_CONNS_PER_USER": "0"}, -1, 50, DefaultEventInterval, true},
		{map[string]string{"WS_CONNS_PER_ADDR": "7"}, 16, 7, DefaultEventInterval, true},
		{map[string]string{"CLIENT_LIMITS_DISABLED": "true"}, -1, -1, DefaultEventInterval, true},
		{map[string]string{"WS_EVENT_INTERVAL": "0"}, 16, 50, -1, true},
		{map[string]string{"WS_EVENT_INTERVAL": "30ms"}, 16, 50, 30 * time.Millisecond, true},
		{map[string]string{"WS_EVENT_INTERVAL": "2m"}, 0, 0, 0, false},
		{map[string]string{"WS_EVENT_INTERVAL": "soon"}, 0, 0, 0, false},
		{map[string]string{"WS_CONNS_PER_USER": "-1"}, 0, 0, 0, false},
		{map[string]string{"CLIENT_LIMITS_DISABLED": "maybe"}, 0, 0, 0, false},
	} {
		c, err := ConfigFromEnv(func(k string) string { return tc.env[k] })
		if (err == nil) != tc.ok {
			t.Errorf("%v: err %v", tc.env, err)
			continue
		}
		if tc.ok && (c.ConnsPerUser != tc.perUser || c.ConnsPerAddr != tc.perAdr || c.EventInterval != tc.interval) {
			t.Errorf("%v: caps %d, %d, interval %v; want %d, %d, %v", tc.env, c.ConnsPerUser, c.ConnsPerAddr,
				c.EventInterval, tc.perUser, tc.perAdr, tc.interval)
		}
	}
}
