package loadtest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sampleReport is a report with every section filled.
func sampleReport() *Report {
	r := newReport("scenario", "http://127.0.0.1:8080")
	r.Viewers = &ViewersSummary{Viewers: 3, Connected: 3, Latency: Quantiles{N: 10, P50: 1, P95: 2, P99: 3, Max: 4}}
	r.Browsers = &BrowsersSummary{Tabs: 2, Playing: 2}
	r.Bids = &BidsSummary{Rooms: 1, Sent: 10, Acked: 10, Reasons: map[string]int64{"too_low": 2}}
	r.Audit = &AuditResult{OK: false, Source: "api", Lost: 1, Violations: []string{"lost: bid b1 <script>"}}
	r.Server = &ProcSummary{Source: "/proc/1", CPUCores: 0.5, RSSMiB: 80}
	for i := range 5 {
		r.Series = append(r.Series, Point{T: float64(i + 1), Viewers: i, FwdP50: 1, FwdP95: 2, FwdP99: float64(i),
			AckP95: 3, BidsPerSec: 10, ServerCPU: 0.4, JitterMs: 12, ProcessingMs: 20})
	}
	r.noteError("viewer 2: boom")
	r.Bids.addKV(r)
	return r
}

func TestReportOutputs(t *testing.T) {
	r := sampleReport()
	dir := t.TempDir()
	tests := []struct {
		name  string
		write func(path string) error
		check func(t *testing.T, b []byte)
	}{
		{"json follows the schema", r.WriteJSON, func(t *testing.T, b []byte) {
			var back map[string]any
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"schema", "kind", "viewers", "browsers", "bids", "audit", "server", "generator", "series", "error_count"} {
				if _, ok := back[k]; !ok {
					t.Errorf("no %q in the JSON report", k)
				}
			}
			if back["schema"] != Schema {
				t.Errorf("schema %v", back["schema"])
			}
		}},
		{"html is self-contained", r.WriteHTML, func(t *testing.T, b []byte) {
			s := string(b)
			if strings.Count(s, "<svg") < 4 {
				t.Errorf("want at least 4 charts, got %d", strings.Count(s, "<svg"))
			}
			for _, bad := range []string{"<script", "src=", "https://", "<link"} {
				if strings.Contains(s, bad) {
					t.Errorf("HTML report contains %q: it must load nothing", bad)
				}
			}
			if !strings.Contains(s, "FAILED") || !strings.Contains(s, "&lt;script&gt;") {
				t.Error("audit failure missing or not escaped")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			if err := tc.write(p); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, b)
		})
	}
}

func TestSummaryLineAndTable(t *testing.T) {
	r := sampleReport()
	line := r.SummaryLine()
	if strings.Contains(line, "\n") || !strings.HasPrefix(line, "loadtest=scenario ") || !strings.HasSuffix(line, "errors=1") {
		t.Fatalf("summary line: %q", line)
	}
	for _, f := range strings.Fields(line) {
		if k, v, ok := strings.Cut(f, "="); !ok || k == "" || v == "" {
			t.Fatalf("not key=value: %q", f)
		}
	}
	var buf bytes.Buffer
	r.WriteTable(&buf)
	for _, want := range []string{"forwarding latency", "jitter buffer delay", "ack latency", "audit (api)", "FAILED", "error: viewer 2"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestParseProcessMetrics(t *testing.T) {
	tests := []struct {
		name string
		in   string
		cpu  time.Duration
		rss  uint64
		ok   bool
	}{
		{"both", "# HELP x\nprocess_cpu_seconds_total 12.5\nprocess_resident_memory_bytes 1.048576e+08\n", 12500 * time.Millisecond, 104857600, true},
		{"missing rss", "process_cpu_seconds_total 1\n", 0, 0, false},
		{"labelled series ignored", "process_cpu_seconds_total{a=\"b\"} 3\nprocess_resident_memory_bytes 10\n", 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cpu, rss, err := parseProcessMetrics(strings.NewReader(tc.in))
			if (err == nil) != tc.ok || cpu != tc.cpu || rss != tc.rss {
				t.Fatalf("got %v %d %v", cpu, rss, err)
			}
		})
	}
}

func TestFreezeDetector(t *testing.T) {
	frames := func(gaps ...int) (int, time.Duration) {
		var f freezeDetector
		at := time.Second
		f.frame(at)
		for _, g := range gaps {
			at += time.Duration(g) * time.Millisecond
			f.frame(at)
		}
		return f.count, f.total
	}
	tests := []struct {
		name  string
		gaps  []int
		count int
	}{
		{"steady 30 fps", []int{33, 33, 34, 33, 33, 33}, 0},
		{"one 300 ms stall", []int{33, 33, 33, 300, 33, 33}, 1},
		{"150 ms is jitter, not a freeze", []int{33, 33, 33, 150, 33}, 0},
		{"two stalls", []int{33, 33, 400, 33, 33, 500}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if n, _ := frames(tc.gaps...); n != tc.count {
				t.Fatalf("freezes %d, want %d", n, tc.count)
			}
		})
	}
}

func TestExampleScenarioLoads(t *testing.T) {
	s, err := LoadScenario("scenarios/evening.json")
	if err != nil {
		t.Fatal(err)
	}
	if s.Rooms < 2 || s.Video.Rooms < 1 || s.Bids.Rate <= 0 || s.Chat.Rate <= 0 || s.Spike.Watchers == 0 {
		t.Fatalf("the example should mix rooms, video, bids, chat and a spike: %+v", s)
	}
	bad := *s
	bad.Spike.At = s.Duration
	if bad.Validate() == nil {
		t.Fatal("a spike after the end must be refused")
	}
}
