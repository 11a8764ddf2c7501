package signaling

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/bidcast/bidcast/events"
	"github.com/bidcast/bidcast/internal/testenv"
)

// The benchmarks here open thousands of real WebSocket connections; they run
// only under -bench. See docs/PERFORMANCE.md for the commands.

// liveRooms is a RoomLookup where every room exists and is live, so the
// benchmarks measure the gateway, not Postgres.
type liveRooms struct{}

func (liveRooms) Room(_ context.Context, id string) (RoomInfo, error) {
	return RoomInfo{ID: id, SellerID: "seller", Status: "live", Title: "bench", Public: true}, nil
}

// queryAuth trusts ?user=; benchmark only.
var queryAuth = AuthenticatorFunc(func(r *http.Request) (Identity, error) {
	u := r.URL.Query().Get("user")
	return Identity{UserID: u, DisplayName: u, Role: "bidder", CanBid: true}, nil
})

func benchGateway(b testing.TB) (*Gateway, *httptest.Server, *events.RedisLog) {
	opts, err := redis.ParseURL(testenv.Require(b, "REDIS_URL"))
	if err != nil {
		b.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	b.Cleanup(func() { rdb.Close() })
	evlog := events.NewRedisLog(rdb)
	// One client address opens every connection: no per-address or per-user
	// cap, and caps keys of its own so no other run's slots count.
	cfg := Config{MessageRate: rate.Inf, ConnsPerAddr: -1, ConnsPerUser: -1, LimitPrefix: "bidcast:bench:" + newUUID() + ":"}
	g, err := New(cfg, Deps{Auth: queryAuth, Rooms: liveRooms{}, Redis: rdb, Events: evlog})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(g)
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = g.Shutdown(ctx)
		srv.Close()
	})
	return g, srv, evlog
}

// benchConns reads BIDCAST_BENCH_CONNS, defaulting to def.
func benchConns(def int) int {
	if n, err := strconv.Atoi(os.Getenv("BIDCAST_BENCH_CONNS")); err == nil && n > 0 {
		return n
	}
	return def
}

// joinClient dials url and joins room, returning after the join's ack.
func joinClient(ctx context.Context, url, room string) (*websocket.Conn, error) {
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(1 << 20)
	b, _ := json.Marshal(Envelope{V: 1, Type: TypeJoin, ID: "j", Data: mustMarshal(JoinData{RoomID: room})})
	if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
		ws.CloseNow()
		return nil, err
	}
	for {
		_, msg, err := ws.Read(ctx)
		if err != nil {
			ws.CloseNow()
			return nil, err
		}
		var env Envelope
		if json.Unmarshal(msg, &env) == nil && (env.Type == TypeAck || env.Type == TypeError) {
			if env.Type == TypeError {
				ws.CloseNow()
				return nil, fmt.Errorf("join: %s", env.Data)
			}
			return ws, nil
		}
	}
}

func mustMarshal(v any) json.RawMessage { b, _ := json.Marshal(v); return b }

// dialMany opens n joined clients, 64 at a time.
func dialMany(ctx context.Context, base, room string, n int) ([]*websocket.Conn, error) {
	return dialEach(n, func(i int) (*websocket.Conn, error) {
		return joinClient(ctx, base+"?user=u"+strconv.Itoa(i), room)
	})
}

// dialEach opens n clients with dial (client i as user u<i>), 64 at a time,
// and returns them with the first error, if any (a failed client is nil).
func dialEach[T any](n int, dial func(i int) (T, error)) ([]T, error) {
	conns := make([]T, n)
	var (
		errMu    sync.Mutex
		firstErr error
	)
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := dial(i)
			if err != nil {
				errMu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				errMu.Unlock()
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	return conns, firstErr
}

// BenchmarkBroadcast publishes one event per iteration to a room with
// BIDCAST_BENCH_CONNS (default 5,000) local connections and reports the
// delivery latency from just before Publish to each client's read.
func BenchmarkBroadcast(b *testing.B) {
	n := benchConns(5000)
	_, srv, evlog := benchGateway(b)
	room := newUUID()
	base := "ws" + strings.TrimPrefix(srv.URL, "http")
	ctx := context.Background()
	conns, err := dialMany(ctx, base, room, n)
	defer func() {
		for _, ws := range conns {
			if ws != nil {
				ws.CloseNow()
			}
		}
	}()
	if err != nil {
		b.Fatalf("dial %d clients: %v", n, err)
	}

	var (
		mu        sync.Mutex
		latencies []time.Duration
		got       atomic.Int64
		readers   sync.WaitGroup
	)
	for _, ws := range conns {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				_, msg, err := ws.Read(ctx)
				if err != nil {
					return
				}
				now := time.Now()
				// Cheap parsing keeps the in-process clients' share of the
				// two cores small: {"v":1,"type":"bench.tick","seq":N,"data":{"t":T}}.
				i := bytes.Index(msg, []byte(`"bench.tick"`))
				j := bytes.LastIndex(msg, []byte(`"t":`))
				if i < 0 || j < 0 {
					continue
				}
				t, err := strconv.ParseInt(string(bytes.TrimRight(msg[j+4:], "}")), 10, 64)
				if err != nil {
					continue
				}
				mu.Lock()
				latencies = append(latencies, now.Sub(time.Unix(0, t)))
				mu.Unlock()
				got.Add(1)
			}
		}()
	}
	cpu, sent := broadcastRounds(b, ctx, evlog, room, n, &got)
	for _, ws := range conns {
		ws.CloseNow()
	}
	readers.Wait()
	// CPU per delivery (server and in-process clients together) is steadier
	// than latency on a shared machine.
	b.ReportMetric(float64(cpu.Microseconds())/float64(sent*int64(n)), "cpu-us/delivery")
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(n), "conns")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
}

// BenchmarkBroadcastStorm publishes BIDCAST_BENCH_RATE events a second
// (default 500) for BIDCAST_BENCH_SECONDS (default 5) to a room with
// BIDCAST_BENCH_CONNS (default 5,000) local connections, as a bid storm
// would, and reports the delivery latency of every event (from just before
// Publish to the read of the message carrying it, sampled at one client in
// ten), the messages each connection read per second, and the events per
// message. b.N is ignored: one storm per run (-benchtime 1x).
func BenchmarkBroadcastStorm(b *testing.B) {
	n := benchConns(5000)
	rate := benchEnv("BIDCAST_BENCH_RATE", 500)
	seconds := benchEnv("BIDCAST_BENCH_SECONDS", 5)
	g, srv, evlog := benchGateway(b)
	room := newUUID()
	base := "ws" + strings.TrimPrefix(srv.URL, "http")
	ctx := context.Background()
	conns, err := dialMany(ctx, base, room, n)
	defer func() {
		for _, ws := range conns {
			if ws != nil {
				ws.CloseNow()
			}
		}
	}()
	if err != nil {
		b.Fatalf("dial %d clients: %v", n, err)
	}
	total := int64(rate * seconds)
	var (
		mu        sync.Mutex
		latencies []time.Duration
		got       atomic.Int64
		messages  atomic.Int64
		readers   sync.WaitGroup
	)
	for i, ws := range conns {
		readers.Add(1)
		go func() {
			defer readers.Done()
			var mine []time.Duration
			defer func() { mu.Lock(); latencies = append(latencies, mine...); mu.Unlock() }()
			for {
				_, msg, err := ws.Read(ctx)
				if err != nil {
					return
				}
				now := time.Now()
				if !bytes.Contains(msg, []byte(`"bench.tick"`)) {
					continue
				}
				messages.Add(1)
				// Each event's data is {"t":T}; a list carries several.
				for rest := msg; ; {
					j := bytes.Index(rest, []byte(`{"t":`))
					if j < 0 {
						break
					}
					rest = rest[j+5:]
					k := bytes.IndexByte(rest, '}')
					t, err := strconv.ParseInt(string(rest[:k]), 10, 64)
					if err != nil {
						continue
					}
					got.Add(1)
					if i%10 == 0 {
						mine = append(mine, now.Sub(time.Unix(0, t)))
					}
				}
			}
		}()
	}
	stopProfile := benchProfile(b)
	cpu0 := cpuTime()
	start := time.Now()
	for i := range total {
		if d := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))); d > 0 {
			time.Sleep(d) // open loop: the schedule, not the deliveries, sets the pace
		}
		data := fmt.Appendf(nil, `{"t":%d}`, time.Now().UnixNano())
		if _, err := evlog.Publish(ctx, events.Event{Type: "bench.tick", RoomID: room, At: time.Now().UTC(),
			Data: data}, nil); err != nil {
			b.Fatal(err)
		}
	}
	published := time.Since(start)
	deadline := time.Now().Add(60 * time.Second)
	for got.Load() < total*int64(n) {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d deliveries; gateway %+v", got.Load(), total*int64(n), g.Stats())
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	stopProfile()
	for _, ws := range conns {
		ws.CloseNow()
	}
	readers.Wait()
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(n), "conns")
	// The rate the publisher kept (it shares the process and the cores).
	b.ReportMetric(float64(total)/published.Seconds(), "events/s")
	b.ReportMetric(float64(messages.Load())/float64(n)/elapsed.Seconds(), "msgs/conn/s")
	b.ReportMetric(float64(got.Load())/float64(messages.Load()), "events/msg")
	b.ReportMetric(cpu.Seconds()/elapsed.Seconds(), "cores")
	// CPU per message read (server, clients and publisher together): the
	// steadier comparison on a shared machine.
	b.ReportMetric(float64(cpu.Microseconds())/float64(messages.Load()), "cpu-us/msg")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
}

// benchProfile starts a CPU profile of the timed part of a benchmark
// (without the dialing) into the file BIDCAST_BENCH_CPUPROFILE names, if
// set, and returns the function that stops it.
func benchProfile(b *testing.B) func() {
	name := os.Getenv("BIDCAST_BENCH_CPUPROFILE")
	if name == "" {
		return func() {}
	}
	f, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// benchEnv reads a positive integer from the environment, defaulting to def.
func benchEnv(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkIdleConnMemory measures the server's memory per idle joined
// connection. The clients run in a child process (this test binary in swarm
// mode, see TestMain), so the figures are the server's alone: heap + stacks
// from the runtime, and RSS from /proc.
func BenchmarkIdleConnMemory(b *testing.B) {
	n := benchConns(5000)
	g, srv, _ := benchGateway(b)
	room := newUUID()
	heap0, stack0, rss0 := memNow()
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "BIDCAST_SWARM_URL=ws"+strings.TrimPrefix(srv.URL, "http"),
			"BIDCAST_SWARM_ROOM="+room, "BIDCAST_SWARM_N="+strconv.Itoa(n))
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil || strings.TrimSpace(line) != "ready" {
			b.Fatalf("swarm: %q, %v", line, err)
		}
		time.Sleep(time.Second) // let the last writes and buffers settle
		if got := g.Stats().Connections; got != int64(n) {
			b.Fatalf("server has %d connections, want %d", got, n)
		}
		heap1, stack1, rss1 := memNow()
		// BIDCAST_HEAPPROF=file writes a heap profile while the clients are
		// connected, to see what a connection is made of.
		if f := os.Getenv("BIDCAST_HEAPPROF"); f != "" {
			if w, err := os.Create(f); err == nil {
				_ = pprof.WriteHeapProfile(w)
				w.Close()
			}
		}
		b.ReportMetric(float64(n), "conns")
		b.ReportMetric(float64(heap1-heap0)/float64(n), "heap-B/conn")
		b.ReportMetric(float64(stack1-stack0)/float64(n), "stack-B/conn")
		b.ReportMetric(float64(heap1+stack1-heap0-stack0)/float64(n), "heap+stack-B/conn")
		b.ReportMetric(float64(rss1-rss0)/float64(n), "rss-B/conn")
		stdin.Close()
		_ = cmd.Wait()
	}
}

// cpuTime returns the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// memNow returns the runtime's heap and stack in use after a GC, and the
// process's resident set size.
func memNow() (heap, stack, rss int64) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap, stack = int64(ms.HeapInuse), int64(ms.StackInuse)
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				rss = kb << 10
			}
		}
	}
	return heap, stack, rss
}

// TestMain turns the test binary into a client swarm when
// BIDCAST_SWARM_URL is set (BenchmarkIdleConnMemory starts it that way):
// it opens BIDCAST_SWARM_N joined connections, prints "ready", and holds
// them until its stdin closes.
func TestMain(m *testing.M) {
	url := os.Getenv("BIDCAST_SWARM_URL")
	if url == "" {
		os.Exit(m.Run())
	}
	n, _ := strconv.Atoi(os.Getenv("BIDCAST_SWARM_N"))
	ctx := context.Background()
	conns, err := dialMany(ctx, url+"/ws", os.Getenv("BIDCAST_SWARM_ROOM"), n)
	if err != nil {
		fmt.Fprintln(os.Stderr, "swarm:", err)
		os.Exit(1)
	}
	for _, ws := range conns {
		// Read and discard (viewer counts), which also answers pings.
		go func() {
			for {
				if _, _, err := ws.Read(ctx); err != nil {
					return
				}
			}
		}()
	}
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	for _, ws := range conns {
		ws.CloseNow()
	}
	os.Exit(0)
}

// broadcastRounds is the timed loop of the broadcast benchmarks: each
// round publishes one event to room and waits until got says all n
// clients read it. It returns the process's CPU over the loop (profiled
// with BIDCAST_BENCH_CPUPROFILE) and the rounds.
func broadcastRounds(b *testing.B, ctx context.Context, evlog events.Log, room string, n int,
	got *atomic.Int64) (time.Duration, int64) {
	var sent int64
	stopProfile := benchProfile(b)
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		sent++
		data := fmt.Appendf(nil, `{"t":%d}`, time.Now().UnixNano())
		if _, err := evlog.Publish(ctx, events.Event{Type: "bench.tick", RoomID: room, At: time.Now().UTC(),
			Data: data}, nil); err != nil {
			b.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for got.Load() < sent*int64(n) {
			if time.Now().After(deadline) {
				b.Fatalf("round %d: %d of %d deliveries", sent, got.Load()-(sent-1)*int64(n), n)
			}
			time.Sleep(200 * time.Microsecond)
		}
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	stopProfile()
	return cpu, sent
}
