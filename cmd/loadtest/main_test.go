package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://bidcast:s3cret@127.0.0.1:5432/bidcast?sslmode=disable", "postgres://bidcast:xxxxx@127.0.0.1:5432/bidcast?sslmode=disable"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"-rate", "-rate"},
		{"postgres://bidcast@127.0.0.1/bidcast", "postgres://bidcast@127.0.0.1/bidcast"},
	}
	for _, tc := range tests {
		if got := redact([]string{tc.in})[0]; got != tc.want {
			t.Errorf("redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRunRefusesBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", nil, "usage"},
		{"unknown subcommand", []string{"flood"}, "unknown subcommand"},
		{"no rooms", []string{"bids"}, "-rooms"},
		{"remote target", []string{"viewers", "-url", "http://192.0.2.7:8080", "-room", "r", "-duration", "1s"}, "not loopback"},
		{"unbounded bids", []string{"bids", "-room", "r", "-duration", "2h"}, "duration"},
		{"freeport bad network", []string{"freeport", "sctp"}, "tcp or udp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), tc.args, &out)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run(%v) = %v, want an error containing %q", tc.args, err, tc.want)
			}
		})
	}
}

func TestFreeport(t *testing.T) {
	for _, network := range []string{"tcp", "udp"} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"freeport", network}, &out); err != nil {
			t.Fatal(err)
		}
		if p := strings.TrimSpace(out.String()); p == "" || p == "0" {
			t.Fatalf("%s port %q", network, p)
		}
	}
}
