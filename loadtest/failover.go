package loadtest

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"
)

// failover moves viewers whose node went silent to another node of a
// cluster, as the room page does (docs/SCALING.md): a viewer that has heard
// no packet for `after` closes its session and opens one on the next node
// of the list that answers (whose WHEP may redirect it again). Each move's
// outage, from the viewer's last packet to the first keyframe on its new
// node, is recorded for the report's reconnect figures.
type failover struct {
	whep  []string // one WHEP endpoint of the room per node
	after time.Duration

	mu      sync.Mutex
	moving  map[int]bool // viewer index → a move under way
	outages []int64      // ns
	failed  int

	stop context.CancelFunc
	wg   sync.WaitGroup
}

// nodeEndpoints returns the room's WHEP endpoint on each node URL, after
// checking every node is a target the run may use.
func nodeEndpoints(nodes []string, room string, allowHosts []string) ([]string, error) {
	var out []string
	for _, n := range nodes {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		u, err := CheckTarget(n, allowHosts)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n, err)
		}
		out = append(out, strings.TrimRight(u.String(), "/")+"/whep/"+url.PathEscape(room))
	}
	return out, nil
}

// endpoint returns the WHEP endpoint viewer i starts on, and its node
// index (-1 without a node list).
func (vs *viewerSwarm) endpoint(i int) (string, int) {
	if vs.fo == nil {
		return vs.whep, -1
	}
	n := i % len(vs.fo.whep)
	return vs.fo.whep[n], n
}

// startFailover watches the swarm's viewers until the swarm closes.
func (vs *viewerSwarm) startFailover() {
	ctx, cancel := context.WithCancel(context.Background())
	vs.fo.stop = cancel
	vs.fo.wg.Add(1)
	go func() {
		defer vs.fo.wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				vs.checkSilence(ctx)
			}
		}
	}()
}

// stopFailover ends the watch and waits for moves under way.
func (vs *viewerSwarm) stopFailover() {
	if vs.fo == nil || vs.fo.stop == nil {
		return
	}
	vs.fo.stop()
	vs.fo.wg.Wait()
}

// checkSilence starts a move for each connected viewer silent too long.
func (vs *viewerSwarm) checkSilence(ctx context.Context) {
	now := vs.shared.log.now()
	vs.mu.Lock()
	viewers := append([]*Viewer(nil), vs.viewers...)
	vs.mu.Unlock()
	fo := vs.fo
	for i, v := range viewers {
		last := v.lastAt.Load()
		if v.Err != nil || last == 0 || time.Duration(now-last) < fo.after {
			continue
		}
		fo.mu.Lock()
		busy := fo.moving[i]
		fo.moving[i] = true
		fo.mu.Unlock()
		if busy {
			continue
		}
		fo.wg.Add(1)
		go func() {
			defer fo.wg.Done()
			vs.move(ctx, i, v, time.Duration(now-last))
		}()
	}
}

// move replaces viewer i, silent for gap, by a viewer on another node:
// the next nodes of the list in turn, round and round, for up to 30 s.
func (vs *viewerSwarm) move(ctx context.Context, i int, old *Viewer, gap time.Duration) {
	fo := vs.fo
	defer func() {
		fo.mu.Lock()
		delete(fo.moving, i)
		fo.mu.Unlock()
	}()
	detected := time.Now()
	go old.Close()
	deadline := detected.Add(30 * time.Second)
	for try := 1; time.Now().Before(deadline) && ctx.Err() == nil; try++ {
		// Its own node's URL last in each round: a WHEP redirect may
		// have put it elsewhere, and that URL places it again.
		n := (old.Node + try) % len(fo.whep)
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		nv := StartViewer(cctx, vs.api, old.ID, fo.whep[n], vs.cfg.viewToken, vs.shared)
		nv.Node = n
		if nv.Err == nil && nv.WaitFirstKey(cctx) {
			cancel()
			fo.mu.Lock()
			fo.outages = append(fo.outages, int64(gap+time.Since(detected)))
			fo.mu.Unlock()
			fmt.Fprintf(vs.cfg.out, "viewer %d: silent %s, moved to %s, video again after %s\n", old.ID,
				gap.Round(time.Millisecond), fo.whep[n], (gap + time.Since(detected)).Round(time.Millisecond))
			vs.replace(i, nv)
			return
		}
		cancel()
		nv.Close()
		select {
		case <-time.After(250 * time.Millisecond):
		case <-ctx.Done():
		}
	}
	if ctx.Err() != nil {
		return // the run ended first: not a failed move
	}
	fo.mu.Lock()
	fo.failed++
	fo.mu.Unlock()
	fmt.Fprintf(vs.cfg.out, "viewer %d: silent, found no node to move to within 30 s\n", old.ID)
}

// replace puts nv in viewer i's place; in the steady phase its measured
// window starts now (the old session's packets leave the sums with it).
func (vs *viewerSwarm) replace(i int, nv *Viewer) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	vs.viewers[i] = nv
	if !vs.steadyAt.IsZero() && i < len(vs.base) {
		vs.base[i], vs.marks[i] = vs.baseOf(nv), nv.Mark()
		nv.Measure(true)
	}
}

// reconnectSamples returns the moves' outages and the moves that failed.
func (vs *viewerSwarm) reconnectSamples() ([]int64, int) {
	if vs.fo == nil {
		return nil, 0
	}
	vs.fo.mu.Lock()
	defer vs.fo.mu.Unlock()
	return append([]int64(nil), vs.fo.outages...), vs.fo.failed
}
