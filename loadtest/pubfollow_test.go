package loadtest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startStoppableSFU runs a bare SFU in-process and returns its base URL
// and a function that stops it (idempotent; the test's end stops it too).
func startStoppableSFU(t *testing.T) (string, func()) {
	t.Helper()
	addr := freePort(t, "tcp")
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- RunSFUServer(ctx, SFUServerConfig{Addr: addr, ICEUDPAddr: freePort(t, "udp"),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	}()
	stopped := false
	stopNow := func() {
		if !stopped {
			stopped = true
			stop()
			<-done
		}
	}
	t.Cleanup(stopNow)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if resp, err := http.Get("http://" + addr + "/debug/sfu/stats"); err == nil {
			resp.Body.Close()
			return "http://" + addr, stopNow
		}
		if time.Now().After(deadline) {
			t.Fatal("sfuserver did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPublisherFollowsItsRoom: the load tool's publisher is on node A with
// a viewer; A's SFU stops. The publisher, hearing nothing more from A,
// publishes on B (A refuses), and the viewer, silent, moves to B and gets
// video there; the report counts one move of each.
func TestPublisherFollowsItsRoom(t *testing.T) {
	if testing.Short() {
		t.Skip("publishes media for seconds")
	}
	noLeaks(t)
	a, stopA := startStoppableSFU(t)
	b, _ := startStoppableSFU(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	w := &watchOut{want: "steady phase", seen: make(chan struct{})}
	var rep *Report
	done := make(chan error, 1)
	go func() {
		var err error
		rep, err = RunViewers(ctx, ViewersConfig{BaseURL: a, Room: "follow", PublishToken: "x", Viewers: 1,
			RampRate: 10, Duration: 8 * time.Second, Nodes: []string{a, b}, ReconnectAfter: time.Second,
			NoAudio: true, Out: w})
		done <- err
	}()
	select {
	case <-w.seen:
	case err := <-done:
		t.Fatalf("the run ended before its steady phase: %v", err)
	}
	stopA()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	v := rep.Viewers
	w.mu.Lock()
	progress := w.buf.String()
	w.mu.Unlock()
	t.Logf("publisher moves %d, outage max %.0f ms; viewer moves %d, outage max %.0f ms; progress:\n%s",
		v.PublisherMoves.N, v.PublisherMoves.Max, v.Reconnect.N, v.Reconnect.Max, progress)
	if v.PublisherMoves.N != 1 || v.Reconnect.N != 1 || v.ReconnectFailed != 0 || v.Connected != 1 {
		t.Fatalf("viewers %+v, errors %v", v, rep.Errors)
	}
	if v.DeliveryRatio < 0.1 { // the steady phase began as A stopped
		t.Fatalf("no video after the move: %+v", v)
	}
}

// TestPublisherMovesWhenItsNodeDies runs two auctiond nodes of a cluster:
// the synthetic publisher on A (the room's media origin), viewers started
// on B and A (which places them on B, the edge). A is killed (kill -9) in
// the steady phase: the publisher, hearing nothing more from A, publishes
// on B, and every viewer sees video there again. The outages are logged
// against the 15 s target, not checked: the machine is shared.
func TestPublisherMovesWhenItsNodeDies(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers and publishes media for seconds")
	}
	noLeaks(t)
	bases, procs, room := startTwoNodes(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	const viewers = 3
	w, wait := runToSteady(t, ctx, ViewersConfig{BaseURL: bases[0], Room: room.RoomID, PublishToken: room.PublishToken,
		Viewers: viewers, Duration: 14 * time.Second, Nodes: []string{bases[1], bases[0]}})
	procs[0].Kill()
	rep := wait()
	v := rep.Viewers
	progress := w.progress()
	t.Logf("after kill -9 of the origin: publisher moves %d, outage %.0f ms (target 15 s); viewer moves %d, "+
		"outage p50 %.0f ms, max %.0f ms; %d failed; freezes %d (%.1f s in all); delivery ratio %.3f; progress:\n%s",
		v.PublisherMoves.N, v.PublisherMoves.Max, v.Reconnect.N, v.Reconnect.P50, v.Reconnect.Max, v.ReconnectFailed,
		v.Freezes, v.FreezeSeconds, v.DeliveryRatio, progress)
	// The steady phase began as A died: a tenth of it delivered means the
	// viewers had video again after the move.
	if v.PublisherMoves.N != 1 || v.Connected != viewers || v.ReconnectFailed != 0 || v.DeliveryRatio < 0.1 {
		t.Fatalf("viewers %+v, errors %v", v, rep.Errors)
	}
	if !strings.Contains(rep.SummaryLine(), "publisher_moves=1") {
		t.Errorf("the summary line has no publisher move: %s", rep.SummaryLine())
	}
}
