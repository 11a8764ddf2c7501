package sfu

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestPionLogLevel checks that Pion's chatter (its info, debug and trace)
// is dropped by default even when the process logs at debug, that its
// warnings and errors pass, and that a lower PionLogLevel lets the rest in.
func TestPionLogLevel(t *testing.T) {
	tests := []struct {
		name string
		min  slog.Leveler
		want []string
	}{
		{"default", nil, []string{"warn-line", "error-line"}},
		{"error", slog.LevelError, []string{"error-line"}},
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

// TestPionRoutineTeardownIsDebug checks that Pion's warnings and errors
// reach the log at warn and error, except the routine messages of a
// peer's teardown, which are logged at debug and so vanish at info.
func TestPionRoutineTeardownIsDebug(t *testing.T) {
	tests := []struct {
		msg  string
		warn bool // logged through Warnf; else Errorf
		want string
	}{
		{"Failed to read from candidate udp4 host 127.0.0.1:1: io: read/write on closed pipe", true, "DEBUG"},
		{"Failed to accept RTCP stream is already closed", true, "DEBUG"},
		{"write udp 127.0.0.1:1->127.0.0.1:2: use of closed network connection", false, "DEBUG"},
		{"pingAllCandidates called with no candidate pairs", true, "DEBUG"},
		{"Failed to ping without candidate pairs. Connection is not possible yet.", true, "DEBUG"},
		{"Failed to handshake DTLS: certificate mismatch", true, "WARN"},
		{"srtp: failed to unmarshal header", false, "ERROR"},
	}
	for _, tc := range tests {
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		l := slogFactory{log: log}.NewLogger("ice")
		if tc.warn {
			l.Warnf("%s", tc.msg)
		} else {
			l.Errorf("%s", tc.msg)
		}
		if !strings.Contains(buf.String(), "level="+tc.want) {
			t.Errorf("%q: logged as %q, want level %s", tc.msg, buf.String(), tc.want)
		}
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
