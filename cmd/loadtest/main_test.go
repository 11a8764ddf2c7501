package main

import (
	"bytes"
	"context"
	"io"
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
			c := outputs{jsonPath: filepath.Join(dir, "r.json"), htmlPath: filepath.Join(dir, "r.html")}
			var out bytes.Buffer
			err := finish(rep, nil, c, nil, &out)
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

// TestMissedThresholdFails: a threshold the run missed makes the command
// fail (a non-zero exit status), after every report, the JUnit XML
// included, has been written; a met one does not.
func TestMissedThresholdFails(t *testing.T) {
	tests := []struct {
		slo     string
		wantErr bool
	}{
		{"decision_p99<50ms", true},
		{"decision_p99<100ms", false},
		{"decision_p99<100ms,loss=0", true}, // no media in a bids run: not measured is not met
	}
	for _, tc := range tests {
		t.Run(tc.slo, func(t *testing.T) {
			dir := t.TempDir()
			rep := &loadtest.Report{Schema: loadtest.Schema, Kind: "bids",
				Bids:  &loadtest.BidsSummary{Decision: loadtest.Quantiles{N: 10, P50: 5, P95: 40, P99: 63}},
				Audit: &loadtest.AuditResult{OK: true, Source: "api"}}
			slos, err := loadtest.ParseSLOs(tc.slo)
			if err != nil {
				t.Fatal(err)
			}
			o := outputs{jsonPath: filepath.Join(dir, "r.json"), junitPath: filepath.Join(dir, "r.xml")}
			var out bytes.Buffer
			err = finish(rep, nil, o, slos, &out)
			if (err != nil) != tc.wantErr {
				t.Fatalf("finish: %v, want error %v\n%s", err, tc.wantErr, out.String())
			}
			b, rerr := os.ReadFile(o.junitPath)
			if rerr != nil || !bytes.Contains(b, []byte("<testsuites")) {
				t.Fatalf("junit: %v %s", rerr, b)
			}
			if got := bytes.Contains(b, []byte(`type="threshold"`)); got != tc.wantErr {
				t.Fatalf("junit failure present %v, want %v:\n%s", got, tc.wantErr, b)
			}
		})
	}
	if err := run(context.Background(), []string{"bids", "-slo", "nonsense<1"}, io.Discard); err == nil {
		t.Fatal("an unknown figure in -slo must be refused")
	}
	if err := run(context.Background(), []string{"merge"}, io.Discard); err == nil {
		t.Fatal("merge without files must fail")
	}
}

// TestShardFlags: a shard must name a samples file and fit its rooms; a
// start instant must be a time.
func TestShardFlags(t *testing.T) {
	dir := t.TempDir()
	rooms := filepath.Join(dir, "rooms.json")
	if err := os.WriteFile(rooms, []byte(`{"room_id":"r1"}{"room_id":"r2"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"bids", "-rooms", rooms, "-shard", "0/2"},                                            // no -samples
		{"bids", "-rooms", rooms, "-shard", "2/2", "-samples", "x"},                           // no such shard
		{"bids", "-rooms", rooms, "-shard", "0/3", "-samples", "x"},                           // 3 shards, 2 rooms
		{"bids", "-rooms", rooms, "-start-at", "tomorrow"},                                    // not a time
		{"hotlot", "-rooms", rooms, "-start-at", "2026-12-05T20:00:00Z"},                      // deadlines rule
		{"merge", filepath.Join(dir, "missing.json")},                                         // no such file
		{"viewers", "-rooms", rooms, "-shard", "1/2", "-samples", "x", "-slo", "latency<1ms"}, // unknown figure
	} {
		if err := run(context.Background(), args, io.Discard); err == nil {
			t.Errorf("%v: want an error", args)
		}
	}
}
