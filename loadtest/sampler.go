package loadtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ServerProbe reads the server's cumulative CPU time and current RSS.
type ServerProbe interface {
	Sample(ctx context.Context) (ProcSample, error)
	Source() string
}

// procProbe reads /proc/<pid> (pid 0 is this process).
type procProbe struct{ pid int }

// Sample implements ServerProbe.
func (p procProbe) Sample(context.Context) (ProcSample, error) { return ReadProc(p.pid) }

// Source implements ServerProbe.
func (p procProbe) Source() string {
	if p.pid == 0 {
		return "self"
	}
	return fmt.Sprintf("/proc/%d", p.pid)
}

// metricsProbe reads the Prometheus process collector of the server's
// /metrics (process_cpu_seconds_total, process_resident_memory_bytes), for
// a server whose pid is not at hand.
type metricsProbe struct{ url string }

// Sample implements ServerProbe.
func (m metricsProbe) Sample(ctx context.Context) (ProcSample, error) {
	s := ProcSample{At: time.Now()}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.url, nil)
	if err != nil {
		return s, fmt.Errorf("metrics request: %w", err)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return s, fmt.Errorf("GET %s: %w", m.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("GET %s: %s", m.url, resp.Status)
	}
	cpu, rss, err := parseProcessMetrics(resp.Body)
	if err != nil {
		return s, fmt.Errorf("GET %s: %w", m.url, err)
	}
	s.CPU, s.RSS, s.Exists = cpu, rss, true
	return s, nil
}

// Source implements ServerProbe.
func (m metricsProbe) Source() string { return m.url }

// parseProcessMetrics finds the two process collector series in a
// Prometheus text exposition.
func parseProcessMetrics(r io.Reader) (cpu time.Duration, rss uint64, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var haveCPU, haveRSS bool
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		switch name {
		case "process_cpu_seconds_total":
			f, perr := strconv.ParseFloat(strings.TrimSpace(val), 64)
			if perr == nil {
				cpu, haveCPU = time.Duration(f*float64(time.Second)), true
			}
		case "process_resident_memory_bytes":
			f, perr := strconv.ParseFloat(strings.TrimSpace(val), 64)
			if perr == nil {
				rss, haveRSS = uint64(f), true
			}
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, fmt.Errorf("read metrics: %w", err)
	}
	if !haveCPU || !haveRSS {
		return 0, 0, errors.New("no process_cpu_seconds_total/process_resident_memory_bytes (process collector off?)")
	}
	return cpu, rss, nil
}

// MetricsURL is where a run reads the server's Prometheus metrics: explicit
// when set, else baseURL/metrics. auctiond serves /metrics only on its
// loopback admin listener (ADMIN_ADDR, 127.0.0.1:6060 by default), so runs
// against it pass that address (cmd/loadtest's -metrics-url) or a pid.
func MetricsURL(explicit, baseURL string) string {
	if explicit != "" {
		return explicit
	}
	return strings.TrimRight(baseURL, "/") + "/metrics"
}

// NewServerProbe picks how to watch the server: /proc/<pid> when pid is
// set, else the Prometheus endpoint at metricsURL when it answers, else nil.
func NewServerProbe(ctx context.Context, pid int, metricsURL string) ServerProbe {
	if pid > 0 {
		return procProbe{pid: pid}
	}
	if metricsURL == "" {
		return nil
	}
	p := metricsProbe{url: metricsURL}
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := p.Sample(cctx); err != nil {
		return nil
	}
	return p
}

// sampler appends one Point per interval to a report's series. Each run
// supplies fill, which adds its own figures to the point (and resets its
// per-interval histograms); the sampler adds the CPU and memory of the
// server and of this process.
type sampler struct {
	interval time.Duration
	server   ServerProbe
	self     ServerProbe
	fill     func(p *Point, dt time.Duration)

	mu     sync.Mutex
	series []Point
	peak   uint64
	first  [2]ProcSample // server, self at the window start
	last   [2]ProcSample
}

func newSampler(server ServerProbe, fill func(*Point, time.Duration)) *sampler {
	self := ServerProbe(procProbe{})
	return &sampler{interval: time.Second, server: server, self: self, fill: fill}
}

// run samples until ctx ends; start is the run's zero time.
func (s *sampler) run(ctx context.Context, start time.Time) {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	prev := s.read(ctx)
	prevAt := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			cur := s.read(ctx)
			dt := now.Sub(prevAt)
			p := Point{T: now.Sub(start).Seconds()}
			if cur[0].Exists && prev[0].Exists {
				p.ServerCPU = float64(cur[0].CPU-prev[0].CPU) / float64(dt)
				p.ServerRSSMiB = mib(cur[0].RSS)
			}
			if cur[1].Exists && prev[1].Exists {
				p.GenCPU = float64(cur[1].CPU-prev[1].CPU) / float64(dt)
			}
			if s.fill != nil {
				s.fill(&p, dt)
			}
			s.mu.Lock()
			s.series = append(s.series, p)
			s.mu.Unlock()
			prev, prevAt = cur, now
		}
	}
}

func (s *sampler) read(ctx context.Context) [2]ProcSample {
	var out [2]ProcSample
	if s.server != nil {
		out[0], _ = s.server.Sample(ctx)
		s.mu.Lock()
		s.peak = max(s.peak, out[0].RSS, out[0].HWM)
		s.mu.Unlock()
	}
	out[1], _ = s.self.Sample(ctx)
	return out
}

// background runs the sampler until the returned stop is called; start is
// the run's zero time. stop returns once the sampler has stopped.
func (s *sampler) background(ctx context.Context, start time.Time) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); s.run(ctx, start) }()
	return func() { cancel(); <-done }
}

// report puts the window's figures and the series into rep.
func (s *sampler) report(rep *Report) {
	rep.Server, rep.Generator = s.summaries()
	rep.Series = s.points()
}

// markStart and markEnd bound the measured (steady) window.
func (s *sampler) markStart(ctx context.Context) { s.first = s.read(ctx) }

func (s *sampler) markEnd(ctx context.Context) { s.last = s.read(ctx) }

// summaries returns the server's and this process's use over the window.
func (s *sampler) summaries() (server *ProcSummary, self ProcSummary) {
	use := func(a, b ProcSample, src string) ProcSummary {
		ps := ProcSummary{Source: src, RSSMiB: mib(b.RSS), PeakRSSMiB: mib(max(b.HWM, b.RSS))}
		if dt := b.At.Sub(a.At); dt > 0 && a.Exists && b.Exists {
			ps.CPUCores = float64(b.CPU-a.CPU) / float64(dt)
		}
		return ps
	}
	self = use(s.first[1], s.last[1], "self")
	if s.server != nil && s.last[0].Exists {
		sv := use(s.first[0], s.last[0], s.server.Source())
		s.mu.Lock()
		sv.PeakRSSMiB = max(sv.PeakRSSMiB, mib(s.peak))
		s.mu.Unlock()
		server = &sv
	}
	return server, self
}

// points returns the series so far.
func (s *sampler) points() []Point {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Point(nil), s.series...)
}
