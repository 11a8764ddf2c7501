package signaling

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bidcast/bidcast/events"
)

// flatEvents unpacks a message into its room events of type typ, as
// "seq type data" lines.
func flatEvents(t *testing.T, msg []byte, typ string) []string {
	t.Helper()
	var env Envelope
	if err := json.Unmarshal(msg, &env); err != nil {
		t.Fatalf("bad message %q: %v", msg, err)
	}
	envs, err := Unpack(env)
	if err != nil {
		t.Fatalf("unpack %q: %v", msg, err)
	}
	var out []string
	for _, e := range envs {
		if e.Type == typ {
			out = append(out, fmt.Sprintf("%d %s %s", e.Seq, e.Type, e.Data))
		}
	}
	return out
}

// TestLeanClientReadsWhatTheLibraryReads: the benchmark's lean client and a
// coder/websocket client in the same room read the same room events, byte
// for byte, in the same order, across every frame length encoding (7, 16
// and 64-bit lengths) and merged lists.
func TestLeanClientReadsWhatTheLibraryReads(t *testing.T) {
	_, srv, evlog := benchGateway(t)
	room := newUUID()
	base := leanBase(srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lib, err := joinClient(ctx, base+"?user=lib", room)
	if err != nil {
		t.Fatal(err)
	}
	defer lib.CloseNow()
	lc, err := leanDial(ctx, base+"?user=lean", room)
	if err != nil {
		t.Fatal(err)
	}
	r, err := newLeanReader()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.add(lc); err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		lean []string
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		r.run(func(_ *leanConn, p []byte, _ time.Time) {
			ev := flatEvents(t, p, "lot.note")
			mu.Lock()
			lean = append(lean, ev...)
			mu.Unlock()
		})
	}()
	defer func() { r.close(); <-done; r.closeAll() }()

	sizes := []int{1, 100, 126, 1000, 65535, 70000, 3, 3, 3, 3, 3, 3}
	for i, n := range sizes {
		data := fmt.Appendf(nil, `{"i":%d,"pad":%q}`, i, strings.Repeat("x", n))
		if _, err := evlog.Publish(ctx, events.Event{Type: "lot.note", RoomID: room, At: time.Now().UTC(), Data: data}, nil); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for len(want) < len(sizes) {
		_, msg, err := lib.Read(ctx)
		if err != nil {
			t.Fatalf("library client: %v after %d events", err, len(want))
		}
		want = append(want, flatEvents(t, msg, "lot.note")...)
	}
	waitFor(t, "the lean client's events", func() bool { mu.Lock(); defer mu.Unlock(); return len(lean) >= len(sizes) })
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(lean, want) {
		t.Fatalf("lean client read %d events, library %d; first difference:\n%s", len(lean), len(want), firstDiff(lean, want))
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("lean %.80q\nlib  %.80q", a[i], b[i])
		}
	}
	return "one is a prefix of the other"
}

// FuzzParseFrame: the lean client's frame parser never panics, and reads
// back any frame the client encoder writes, whole, from any prefix split.
func FuzzParseFrame(f *testing.F) {
	f.Add([]byte("hello"), byte(opText), 3)
	f.Add(bytes.Repeat([]byte("a"), 300), byte(opText), 100)
	f.Add([]byte{}, byte(opPing), 0)
	f.Fuzz(func(t *testing.T, payload []byte, op byte, cut int) {
		_, _, _, _, _, _ = parseFrame(append([]byte(nil), payload...)) // arbitrary bytes
		op = []byte{opText, 0x2, opPing, opPong, opClose}[int(op)%5]
		if op >= 0x8 && len(payload) > 125 {
			payload = payload[:125]
		}
		frame := appendClientFrame(nil, op, payload)
		if cut = max(cut, 0) % (len(frame) + 1); cut < len(frame) {
			if _, _, _, _, ok, err := parseFrame(append([]byte(nil), frame[:cut]...)); ok || err != nil {
				t.Fatalf("a %d-byte prefix of a %d-byte frame parsed: ok %v, err %v", cut, len(frame), ok, err)
			}
		}
		fin, gotOp, p, n, ok, err := parseFrame(append(frame, 0x81)) // and a next frame's first byte
		if err != nil || !ok || !fin || gotOp != op || n != len(frame) || !bytes.Equal(p, payload) {
			t.Fatalf("parse = fin %v op %x n %d ok %v err %v, payload equal %v", fin, gotOp, n, ok, err, bytes.Equal(p, payload))
		}
	})
}

// BenchmarkBroadcastLean is BenchmarkBroadcast with lean in-process clients
// (leanclient_test.go: frames read off the sockets through epoll, one
// reader goroutine per core) instead of coder/websocket clients. The
// server is the same; the clients' share of the cores is smaller, so the
// figure shows more of the server's own cost. Report it next to
// BenchmarkBroadcast's, never instead of it.
func BenchmarkBroadcastLean(b *testing.B) {
	n := benchConns(5000)
	_, srv, evlog := benchGateway(b)
	room := newUUID()
	base := leanBase(srv.URL)
	ctx := context.Background()
	readers := make([]*leanReader, runtime.GOMAXPROCS(0))
	for i := range readers {
		r, err := newLeanReader()
		if err != nil {
			b.Fatal(err)
		}
		readers[i] = r
	}
	conns, firstErr := dialEach(n, func(i int) (*leanConn, error) {
		lc, err := leanDial(ctx, base+"?user=u"+strconv.Itoa(i), room)
		if err == nil {
			lc.id = i
		}
		return lc, err
	})
	for i, lc := range conns {
		if lc != nil {
			if err := readers[i%len(readers)].add(lc); err != nil {
				b.Fatal(err)
			}
		}
	}
	var (
		got       atomic.Int64
		latencies = make([][]time.Duration, len(readers))
		done      sync.WaitGroup
	)
	for i, r := range readers {
		done.Add(1)
		go func() {
			defer done.Done()
			r.run(func(_ *leanConn, msg []byte, at time.Time) {
				// As BenchmarkBroadcast: {"v":1,"type":"bench.tick","seq":N,"data":{"t":T}}.
				k := bytes.Index(msg, []byte(`"bench.tick"`))
				j := bytes.LastIndex(msg, []byte(`"t":`))
				if k < 0 || j < 0 {
					return
				}
				t, err := strconv.ParseInt(string(bytes.TrimRight(msg[j+4:], "}")), 10, 64)
				if err != nil {
					return
				}
				latencies[i] = append(latencies[i], at.Sub(time.Unix(0, t)))
				got.Add(1)
			})
		}()
	}
	defer func() {
		for _, r := range readers {
			r.close()
		}
		done.Wait()
		for _, r := range readers {
			r.closeAll()
		}
	}()
	if firstErr != nil {
		b.Fatalf("dial %d lean clients: %v", n, firstErr)
	}

	cpu, sent := broadcastRounds(b, ctx, evlog, room, n, &got)
	for _, r := range readers {
		r.close()
	}
	done.Wait()
	var all []time.Duration
	for _, l := range latencies {
		all = append(all, l...)
	}
	slices.Sort(all)
	pct := func(p float64) float64 {
		return float64(all[int(p*float64(len(all)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(sent*int64(n)), "cpu-us/delivery")
	b.ReportMetric(float64(n), "conns")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
}
