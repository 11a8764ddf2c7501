package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bidcast/bidcast/loadtest"
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

// TestFinishWritesReportsAndSummaryLast checks the output contract: the
// table, the JSON and HTML files, and the key=value line last on stdout;
// a failed audit makes the command fail.
func TestFinishWritesReportsAndSummaryLast(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		auditOK bool
		wantErr bool
	}{
		{"audit passed", true, false},
		{"audit failed", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := &loadtest.Report{Schema: loadtest.Schema, Kind: "bids",
				Audit: &loadtest.AuditResult{OK: tc.auditOK, Source: "api"}}
			c := common{jsonPath: filepath.Join(dir, "r.json"), htmlPath: filepath.Join(dir, "r.html")}
			var out bytes.Buffer
			err := finish(rep, nil, c, &out)
			if (err != nil) != tc.wantErr {
				t.Fatalf("finish: %v, want error %v", err, tc.wantErr)
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if last := lines[len(lines)-1]; !strings.HasPrefix(last, "loadtest=bids ") {
				t.Fatalf("last line %q", last)
			}
			for _, p := range []string{c.jsonPath, c.htmlPath} {
				if st, err := os.Stat(p); err != nil || st.Size() == 0 {
					t.Fatalf("%s not written: %v", p, err)
				}
			}
		})
	}
}
