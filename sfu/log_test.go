package sfu

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestPionLogLevel checks that Pion's chatter (its warnings, info, debug
// and trace) is dropped by default even when the process logs at debug,
// that its errors pass, and that a lower PionLogLevel lets the rest in.
func TestPionLogLevel(t *testing.T) {
	tests := []struct {
		name string
		min  slog.Leveler
		want []string
	}{
		{"default", nil, []string{"error-line"}},
		{"warn", slog.LevelWarn, []string{"warn-line", "error-line"}},
		{"info", slog.LevelInfo, []string{"info-line", "warn-line", "error-line"}},
		{"trace", slog.LevelDebug - 4, []string{"trace-line", "debug-line", "info-line", "warn-line", "error-line"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug - 4}))
			l := slogFactory{log: log, min: tc.min}.NewLogger("ice")
			l.Trace("trace-line")
			l.Debugf("%s", "debug-line")
			l.Info("info-line")
			l.Warnf("%s-line", "warn")
			l.Error("error-line")
			got := strings.Count(buf.String(), "\n")
			if got != len(tc.want) {
				t.Fatalf("%d lines, want %d:\n%s", got, len(tc.want), buf.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("%s missing:\n%s", w, buf.String())
				}
			}
		})
	}
}

// TestLoopbackAddressImpliesLoopbackCandidates checks the default SFU
// address is loopback, like the HTTP one, and that an SFU on loopback
// offers loopback candidates (none other could reach it).
func TestLoopbackAddressImpliesLoopbackCandidates(t *testing.T) {
	tests := []struct {
		udp  string
		want bool
	}{
		{"", true},
		{"127.0.0.1:9000", true},
		{"[::1]:9000", true},
		{":8443", false},
		{"0.0.0.0:8443", false},
		{"192.0.2.10:8443", false},
	}
	for _, tc := range tests {
		c := Config{ICEUDPAddr: tc.udp}
		if err := c.Validate(); err != nil {
			t.Fatalf("%q: %v", tc.udp, err)
		}
		if c.LoopbackCandidates != tc.want {
			t.Errorf("ICEUDPAddr %q: LoopbackCandidates = %v, want %v", tc.udp, c.LoopbackCandidates, tc.want)
		}
		if tc.udp == "" && (c.ICEUDPAddr != "127.0.0.1:8443" || c.ICETCPAddr != "127.0.0.1:8443") {
			t.Errorf("defaults: UDP %q TCP %q", c.ICEUDPAddr, c.ICETCPAddr)
		}
	}
}
