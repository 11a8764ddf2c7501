package loadtest

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/bidcast/bidcast/internal/testpattern"
)

// roomPublisher is a swarm's synthetic publisher. It follows its room as
// the studio page does (docs/SCALING.md, "Failures"): when the node under
// it goes silent (no RTCP for `after`; Bidcast's SFU sends a receiver
// report every second), does not answer HTTP after `probeAfter` of
// silence (a dead node refuses at once), or its peer fails, it ends its
// session and
// publishes again, through the run's base URL first (a load balancer
// there places it on a live node), then on each node of the cluster in
// turn, rounds apart by a growing, jittered backoff, until it is back or
// the run ends. The node it reaches becomes the room's media origin, and
// the other nodes' relays follow it there. Its counters add up over its
// sessions, so the swarm's figures span a move.
type roomPublisher struct {
	api    *webrtc.API
	whip   []string // the room's WHIP endpoint on the base URL, then on each other node
	token  string
	clip   *testpattern.Clip
	audio  *testpattern.AudioClip
	onSend func([]byte)
	pace   int // PaceBps of each session
	after  time.Duration
	// probeAfter is the silence after which the node is asked whether
	// it is there at all; 0 never asks.
	probeAfter time.Duration
	out        io.Writer

	closing sync.WaitGroup // old sessions being closed

	mu    sync.Mutex
	cur   *testpattern.Publisher
	at    int       // cur's endpoint in whip
	ended pubTotals // of the sessions before cur
	moves []int64   // ns from the last RTCP heard on the old node to the new session's connection
}

// pubTotals are a publisher's counters.
type pubTotals struct{ packets, bytes, plis, keys int64 }

// Backoff between rounds of republishing: from pubBackoffMin, doubled each
// round up to pubBackoffMax, each wait jittered by ±50 %.
const (
	pubBackoffMin = 250 * time.Millisecond
	pubBackoffMax = 4 * time.Second
)

// nodeWHIPs returns the room's WHIP endpoint on each of cfg's nodes but
// the one given (the run's base URL's), for the publisher to move to.
// Nodes that are no target the run may use are left out (nodeEndpoints
// refuses the run for them).
func nodeWHIPs(cfg viewerSwarmConfig, base string) []string {
	var out []string
	seen := map[string]bool{base: true}
	for _, n := range cfg.nodes {
		u, err := CheckTarget(strings.TrimSpace(n), cfg.allowHosts)
		if err != nil {
			continue
		}
		e := strings.TrimRight(u.String(), "/") + endpointPath(cfg.whipPath, "/whip/{room}", cfg.room)
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out
}

// publisherProbe is the silence after which the publisher asks its node
// whether it is there: a viewer's silence in a cluster run (where another
// node can take the room), never against a single server.
func publisherProbe(cfg viewerSwarmConfig) time.Duration {
	if len(cfg.nodes) == 0 {
		return 0
	}
	if cfg.reconnectAfter > 0 {
		return cfg.reconnectAfter
	}
	return time.Second
}

// publisherSilence is how long the publisher hears nothing from its node
// before it moves: a second more than a viewer's (receiver reports come
// every second) in a cluster run, and 5 s against a single server, where
// there is nowhere else to go and a loaded server's late report must not
// cost a republish.
func publisherSilence(cfg viewerSwarmConfig) time.Duration {
	if len(cfg.nodes) == 0 {
		return 5 * time.Second
	}
	after := cfg.reconnectAfter
	if after <= 0 {
		after = time.Second
	}
	return after + time.Second
}

// startRoomPublisher connects the publisher to whip[0].
func startRoomPublisher(ctx context.Context, rp *roomPublisher) (*roomPublisher, error) {
	p, err := testpattern.StartPublisher(ctx, rp.api, rp.whip[0], rp.token, rp.clip, rp.audio, rp.onSend)
	if err != nil {
		return nil, err
	}
	p.PaceBps = rp.pace
	rp.cur = p
	return rp, nil
}

// current returns the session in use.
func (rp *roomPublisher) current() *testpattern.Publisher {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return rp.cur
}

// Run sends the clip until ctx ends, moving the session when its node is
// lost.
func (rp *roomPublisher) Run(ctx context.Context) {
	for ctx.Err() == nil {
		rp.mu.Lock()
		p, node := rp.cur, rp.whip[rp.at]
		rp.mu.Unlock()
		why, heardAgo := rp.runUntilLost(ctx, p, node)
		if ctx.Err() != nil {
			return
		}
		rp.republish(ctx, p, why, heardAgo)
	}
}

// runUntilLost sends p's clip until ctx ends or p's node (whose WHIP
// endpoint is node) is lost, and returns why it was lost and how long ago
// p last heard from its node.
func (rp *roomPublisher) runUntilLost(ctx context.Context, p *testpattern.Publisher, node string) (why string, heardAgo time.Duration) {
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		probed := false
		for {
			select {
			case <-rctx.Done():
				return
			case <-tick.C:
			}
			heardAgo = p.SinceHeard()
			switch {
			case p.Failed():
				why = "its session ended"
			case heardAgo >= rp.after:
				why = "its node is silent"
			case rp.probeAfter > 0 && heardAgo >= rp.probeAfter && !probed:
				probed = true
				if answers(rctx, node) || rctx.Err() != nil {
					continue
				}
				why = "its node does not answer"
			default:
				if heardAgo < rp.probeAfter {
					probed = false
				}
				continue
			}
			stop()
			return
		}
	}()
	p.Run(rctx)
	stop()
	<-watched
	if why == "" {
		why = "its track stopped"
	}
	return why, heardAgo
}

// republish ends old and publishes again, as the type's comment says.
func (rp *roomPublisher) republish(ctx context.Context, old *testpattern.Publisher, why string, heardAgo time.Duration) {
	detected := time.Now()
	fmt.Fprintf(rp.out, "publisher: %s (last RTCP %s ago); publishing again\n", why, heardAgo.Round(time.Millisecond))
	// The old session's DELETE goes first, so a node that is alive after
	// all frees the room; a dead one is not waited for long.
	closed := make(chan struct{})
	rp.closing.Add(1)
	go func() { defer rp.closing.Done(); defer close(closed); old.Close() }()
	select {
	case <-closed:
	case <-time.After(time.Second):
	case <-ctx.Done():
	}
	backoff := pubBackoffMin
	for try := 0; ctx.Err() == nil; try++ {
		i := try % len(rp.whip)
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		p, err := testpattern.StartPublisher(cctx, rp.api, rp.whip[i], rp.token, rp.clip, rp.audio, rp.onSend)
		cancel()
		if err == nil {
			p.PaceBps = rp.pace
			out := time.Since(detected) + heardAgo
			rp.mu.Lock()
			rp.ended = rp.ended.plus(old)
			rp.cur, rp.at = p, i
			rp.moves = append(rp.moves, int64(out))
			rp.mu.Unlock()
			fmt.Fprintf(rp.out, "publisher: publishing on %s again, %s after its old node last spoke\n",
				rp.whip[i], out.Round(time.Millisecond))
			return
		}
		if i == len(rp.whip)-1 {
			fmt.Fprintf(rp.out, "publisher: no node took the room (%v); again in about %s\n", err, backoff)
			sleepCtx(ctx, time.Duration(float64(backoff)*(0.5+rand.Float64())))
			backoff = min(2*backoff, pubBackoffMax)
		}
	}
}

// plus adds p's counters to t. Once p's Run has returned they change no
// more (but for a PLI that was on its way).
// answers reports whether the HTTP server of endpoint answers at all
// (any status) within half a second.
func answers(ctx context.Context, endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.Scheme+"://"+u.Host+"/", nil)
	if err != nil {
		return false
	}
	resp, err := probeClient.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	return true
}

// probeClient asks nodes whether they are there; it keeps no idle
// connection, so a dead node's is never reused.
var probeClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (t pubTotals) plus(p *testpattern.Publisher) pubTotals {
	return pubTotals{t.packets + p.Packets.Load(), t.bytes + p.Bytes.Load(), t.plis + p.PLIs.Load(),
		t.keys + p.Keyframes.Load()}
}

// totals returns the counters over every session so far.
func (rp *roomPublisher) totals() pubTotals {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return rp.ended.plus(rp.cur)
}

// movesNS returns each move's outage.
func (rp *roomPublisher) movesNS() []int64 {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return append([]int64(nil), rp.moves...)
}

// Close ends the session in use and waits for old ones to end; call it
// after Run has returned.
func (rp *roomPublisher) Close() {
	rp.current().Close()
	rp.closing.Wait()
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
