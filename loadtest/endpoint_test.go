package loadtest

import "testing"

func TestEndpointPath(t *testing.T) {
	for _, tc := range []struct{ tmpl, def, room, want string }{
		{"", "/whep/{room}", "bench", "/whep/bench"},
		{"/{room}/whep", "/whep/{room}", "bench", "/bench/whep"},
		{"/{room}/whip", "/whip/{room}", "a b/c", "/a%20b%2Fc/whip"},
	} {
		if got := endpointPath(tc.tmpl, tc.def, tc.room); got != tc.want {
			t.Errorf("endpointPath(%q, %q, %q) = %q, want %q", tc.tmpl, tc.def, tc.room, got, tc.want)
		}
	}
	for _, bad := range []string{"whep/{room}", "/whep/"} {
		c := ViewersConfig{Viewers: 1, RampRate: 1, Duration: 1e9, Room: "r", WHEPPath: bad}
		if _, err := c.validate(); err == nil {
			t.Errorf("validate accepted WHEP path %q", bad)
		}
	}
}
