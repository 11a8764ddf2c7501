package auth

import "testing"

// TestMediaLimitsFromEnv reads the WHIP/WHEP limits: defaults, 0 as no
// cap, the switch that lifts them, and malformed values refused.
func TestMediaLimitsFromEnv(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want MediaLimits
		ok   bool
	}{
		{map[string]string{}, MediaLimits{OffersPerMin: 60, ViewersPerUser: 8, ViewersPerAddr: 20}, true},
		{map[string]string{"WHIP_WHEP_RATE": "0"}, MediaLimits{OffersPerMin: -1, ViewersPerUser: 8, ViewersPerAddr: 20}, true},
		{map[string]string{"CLIENT_LIMITS_DISABLED": "1"}, MediaLimits{OffersPerMin: -1, ViewersPerUser: -1, ViewersPerAddr: -1}, true},
		{map[string]string{"WHEP_SESSIONS_PER_ADDR": "lots"}, MediaLimits{}, false},
		{map[string]string{"WHEP_SESSIONS_PER_USER": "-1"}, MediaLimits{}, false},
	} {
		l, err := MediaLimitsFromEnv(func(k string) string { return tc.env[k] })
		if (err == nil) != tc.ok {
			t.Errorf("%v: err %v", tc.env, err)
			continue
		}
		if tc.ok && (l.OffersPerMin != tc.want.OffersPerMin || l.ViewersPerUser != tc.want.ViewersPerUser ||
			l.ViewersPerAddr != tc.want.ViewersPerAddr) {
			t.Errorf("%v: %+v, want %+v", tc.env, l, tc.want)
		}
	}
}
