package signaling

import "testing"

// TestConfigFromEnv reads the connection caps: defaults, 0 as no cap, the
// switch that lifts them, and malformed values refused.
func TestConfigFromEnv(t *testing.T) {
	for _, tc := range []struct {
		env             map[string]string
		perUser, perAdr int
		ok              bool
	}{
		{map[string]string{}, 16, 50, true},
		{map[string]string{"WS_CONNS_PER_USER": "0"}, -1, 50, true},
		{map[string]string{"WS_CONNS_PER_ADDR": "7"}, 16, 7, true},
		{map[string]string{"CLIENT_LIMITS_DISABLED": "true"}, -1, -1, true},
		{map[string]string{"WS_CONNS_PER_USER": "-1"}, 0, 0, false},
		{map[string]string{"CLIENT_LIMITS_DISABLED": "maybe"}, 0, 0, false},
	} {
		c, err := ConfigFromEnv(func(k string) string { return tc.env[k] })
		if (err == nil) != tc.ok {
			t.Errorf("%v: err %v", tc.env, err)
			continue
		}
		if tc.ok && (c.ConnsPerUser != tc.perUser || c.ConnsPerAddr != tc.perAdr) {
			t.Errorf("%v: caps %d, %d; want %d, %d", tc.env, c.ConnsPerUser, c.ConnsPerAddr, tc.perUser, tc.perAdr)
		}
	}
}
