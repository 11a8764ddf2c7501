package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/bidcast/bidcast/signaling"
)

// HotLotConfig configures RunHotLot: the decisive seconds of an auction.
// Each room's live lot (started by its seller if none is) is watched by
// the watchers until Storm before its deadline; then the room's bidders
// storm it at Rate until Overrun past the deadline in force. A soft-close
// lot moves its deadline with every bid in its window, so after MaxStorm
// the bidders stop, and a last volley straddles the deadline then in force.
// Create the rooms with the clock to test: `auctiond room create --policy
// soft-close` or `--policy sudden-death`, `--duration` long enough for
// everyone to connect first.
type HotLotConfig struct {
	BaseURL  string
	Rooms    []RoomInfo
	Bidders  int           // over all rooms
	Watchers int           // over all rooms
	Rate     float64       // storm bids per second per room
	Storm    time.Duration // the storm starts this long before the deadline (default 5 s)
	MaxStorm time.Duration // stop storming a lot whose deadline keeps moving after this (default 20 s)
	Overrun  time.Duration // keep bidding this long past the deadline (default 1 s)
	// Viewers WHEP viewers watch the first room's synthetic stream (paced
	// like a browser) through the storm, so its effect on video shows;
	// 0: none. The room needs its publish_token.
	Viewers int
	// ServerPID, MetricsURL, DatabaseURL, AllowHosts and Out are as in
	// BidsConfig.
	ServerPID   int
	MetricsURL  string
	DatabaseURL string
	AllowHosts  []string
	Out         io.Writer
}

func (c *HotLotConfig) validate() (*url.URL, error) {
	if c.Storm == 0 {
		c.Storm = 5 * time.Second
	}
	if c.MaxStorm == 0 {
		c.MaxStorm = 20 * time.Second
	}
	if c.Overrun == 0 {
		c.Overrun = time.Second
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	perRoom := float64(c.Bidders) / float64(max(1, len(c.Rooms)))
	switch {
	case len(c.Rooms) == 0:
		return nil, errors.New("no rooms: pass -rooms FILE with the output of `auctiond room create --json`")
	case c.Bidders < len(c.Rooms) || c.Bidders > 5000:
		return nil, fmt.Errorf("bidders must be 1 per room to 5000, got %d for %d rooms", c.Bidders, len(c.Rooms))
	case c.Watchers < 0 || c.Watchers > 20000:
		return nil, fmt.Errorf("watchers must be 0..20000, got %d", c.Watchers)
	case c.Rate <= 0 || c.Rate > 4*perRoom:
		return nil, fmt.Errorf("storm rate must be in (0, %g] bids/s per room: the server allows each connection 5 bids/s", 4*perRoom)
	case c.Storm <= 0 || c.Storm > time.Minute || c.MaxStorm < c.Storm || c.MaxStorm > 5*time.Minute:
		return nil, errors.New("storm must be in (0, 1m] and max-storm in [storm, 5m]")
	case c.Overrun < 0 || c.Overrun > 10*time.Second:
		return nil, errors.New("overrun must be in [0, 10s]")
	case c.Viewers < 0 || c.Viewers > 2000:
		return nil, errors.New("viewers must be 0..2000")
	}
	return CheckTarget(c.BaseURL, c.AllowHosts)
}

// HotLotSummary is the hot-lot section of the report: every stormed lot
// with each storm bid against its deadline, and the deadline audit.
type HotLotSummary struct {
	Rooms    int         `json:"rooms"`
	Bidders  int         `json:"bidders"`
	Watchers int         `json:"watchers"`
	Rate     float64     `json:"rate_per_room"`
	StormS   float64     `json:"storm_s"`
	Lots     []HotLot    `json:"lots"`
	Audit    HotLotAudit `json:"audit"`
	Buckets  []HotBucket `json:"buckets"`
}

// hotRun is one RunHotLot.
type hotRun struct {
	cfg    HotLotConfig
	sw     *bidSwarm
	clk    *hotClock
	offset time.Duration // server clock − local clock
	began  func()        // called as each storm begins; the first starts the measured window

	sentMu  sync.Mutex
	sentAt  map[string]float64 // bid_id → send time − deadline known then, ms
	lastBid time.Time
}

// RunHotLot connects sellers, bidders and watchers, storms every room's
// lot around its deadline, then audits the bids twice: against the
// server's record (Audit) and against the deadline rule (AuditHotLots).
func RunHotLot(ctx context.Context, cfg HotLotConfig) (*Report, error) {
	base, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	rep := newReport("hotlot", cfg.BaseURL)
	h := &hotRun{cfg: cfg, sw: newBidSwarm(rep), clk: newHotClock(), sentAt: map[string]float64{}}
	h.sw.tap = h.clk.observe
	defer h.sw.close()
	var vs *viewerSwarm
	if cfg.Viewers > 0 {
		r := cfg.Rooms[0]
		if vs, err = startViewerSwarm(ctx, base, viewerSwarmConfig{room: r.RoomID, publishToken: r.PublishToken,
			viewers: cfg.Viewers, ramp: 20, paceKbps: 3750, audio: true, allowHosts: cfg.AllowHosts, out: cfg.Out,
			clipPath: filepath.Join(os.TempDir(), "bidcast-loadtest-720p30-1500k.h264")}); err != nil {
			return nil, fmt.Errorf("room %s video: %w", r.RoomID, err)
		}
		defer vs.close()
		vs.ramp(ctx, rep)
		vs.beginSteady()
	}
	if err := h.sw.connect(ctx, base, cfg.Rooms, cfg.Bidders, cfg.Watchers, 50, cfg.Out); err != nil {
		return nil, err
	}
	for _, r := range h.sw.rooms {
		r.mu.Lock()
		r.running = false // one lot per room: no next lot when it closes
		r.mu.Unlock()
	}
	if h.offset, err = clockOffset(ctx, h.sw.bidders[0].conn); err != nil {
		return nil, err
	}
	probe := NewServerProbe(ctx, cfg.ServerPID, MetricsURL(cfg.MetricsURL, cfg.BaseURL))
	fill := h.sw.fill
	if vs != nil {
		fill = func(p *Point, dt time.Duration) { vs.fill(p, dt); h.sw.fill(p, dt) }
	}
	smp := newSampler(probe, fill)
	stop := smp.background(ctx, rep.Started)
	// The measured window is the storms', from the first one's start.
	var once sync.Once
	var stormStart time.Time
	h.began = func() { once.Do(func() { stormStart = time.Now(); smp.markStart(ctx) }) }
	var wg sync.WaitGroup
	for _, r := range h.sw.rooms {
		var mine []*member
		for _, m := range h.sw.bidders {
			if m.room == r {
				mine = append(mine, m)
			}
		}
		wg.Add(1)
		go func() { defer wg.Done(); h.storm(ctx, r, mine) }()
	}
	wg.Wait()
	h.began() // no storm began (the run was cancelled): an empty window
	smp.markEnd(ctx)
	h.sentMu.Lock()
	stormed := h.lastBid.Sub(stormStart)
	h.sentMu.Unlock()
	if stormed <= 0 {
		stormed = time.Since(stormStart)
	}
	var raw *ViewerSamples
	if vs != nil {
		raw = vs.endSteady() // viewers measured from before the storms to after the closes
	}
	h.sw.finish(ctx, cfg.Out)
	stop()
	if raw != nil {
		if rep.Viewers, err = raw.summary(); err != nil {
			return nil, err
		}
		rep.samples().Viewers = raw
	}
	rep.Bids = h.sw.summary(cfg.Rate*float64(len(cfg.Rooms)), stormed)
	smp.report(rep)
	h.sw.audit(ctx, base, cfg.DatabaseURL)
	rep.HotLot = h.summary()
	rep.samples().HotLot = rep.HotLot.Lots
	rep.Seconds = time.Since(rep.Started).Seconds()
	if rep.Viewers != nil {
		rep.Viewers.addKV(rep)
	}
	rep.Bids.addKV(rep)
	rep.HotLot.addKV(rep)
	return rep, ctx.Err()
}

// clockOffset measures server time − local time with one time.sync.
func clockOffset(ctx context.Context, c *wsConn) (time.Duration, error) {
	t0 := time.Now()
	env, err := c.request(ctx, signaling.TypeTimeSync, signaling.TimeSyncData{ClientTime: t0.UnixMilli()})
	if err != nil {
		return 0, fmt.Errorf("time.sync: %w", err)
	}
	t3 := time.Now()
	var ts signaling.TimeSyncData
	if err := json.Unmarshal(env.Data, &ts); err != nil || ts.ServerTime == 0 {
		return 0, fmt.Errorf("time.sync: no server_time in %s", env.Data)
	}
	mid := t0.Add(t3.Sub(t0) / 2)
	return time.UnixMilli(ts.ServerTime).Sub(mid), nil
}

// storm bids on one room's lot from Storm before its deadline to Overrun
// after it, then waits for the lot to close.
func (h *hotRun) storm(ctx context.Context, r *roomRun, bidders []*member) {
	room := r.info.RoomID
	var lot *hotLotClock
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if l, d := h.clk.lotOf(room); l != nil && !d.IsZero() {
			lot = l
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			h.sw.rep.noteError(fmt.Sprintf("room %s: no live lot with a deadline to storm", room))
			return
		}
	}
	local := func() time.Time { _, d := h.clk.lotOf(room); return d.Add(-h.offset) }
	begin := local().Add(-h.cfg.Storm)
	if late := time.Since(begin); late > 0 {
		h.sw.rep.noteError(fmt.Sprintf("room %s: the storm started %s late (the lot's clock was too short for connecting everyone)",
			room, late.Round(time.Millisecond)))
	}
	if !sleepUntil(ctx, begin) {
		return
	}
	h.began()
	start := time.Now()
	interval := time.Duration(float64(time.Second) / h.cfg.Rate)
	next := start
	for n := 0; ; n++ {
		if time.Now().After(local().Add(h.cfg.Overrun)) {
			break
		}
		if time.Since(start) > h.cfg.MaxStorm {
			h.volley(ctx, r, bidders, local)
			h.afterDeadline(ctx, r, bidders, lot, local)
			break
		}
		go h.bid(ctx, r, bidders[n%len(bidders)])
		next = next.Add(interval)
		if !sleepUntil(ctx, next) {
			return
		}
	}
	wait := time.NewTimer(time.Until(local()) + 30*time.Second)
	defer wait.Stop()
	select {
	case <-lot.closed:
	case <-wait.C:
		h.sw.rep.noteError(fmt.Sprintf("room %s: lot %s did not close within 30 s of its deadline", room, lot.lotID))
	case <-ctx.Done():
	}
}

// volley is the last word on a lot whose deadline kept moving: one bid per
// bidder (at most 20), spread over the half second around the deadline in
// force, so some land just before it and some just after.
func (h *hotRun) volley(ctx context.Context, r *roomRun, bidders []*member, local func() time.Time) {
	n := min(len(bidders), 20)
	at := local().Add(-250 * time.Millisecond)
	for i := range n {
		if !sleepUntil(ctx, at.Add(time.Duration(i)*500*time.Millisecond/time.Duration(n))) {
			return
		}
		go h.bid(ctx, r, bidders[i])
	}
}

// afterDeadline probes a lot whose deadline kept moving for acceptance
// after it: bids spread from just past the deadline in force to Overrun
// past it. One that lands before the deadline after all (the clock offset
// is an estimate) is accepted and moves it, so the probe repeats, at most
// three times.
func (h *hotRun) afterDeadline(ctx context.Context, r *roomRun, bidders []*member, lot *hotLotClock, local func() time.Time) {
	n := min(len(bidders), 10)
	for range 3 {
		d := local()
		from, span := d.Add(20*time.Millisecond), max(h.cfg.Overrun-20*time.Millisecond, 10*time.Millisecond)
		for i := range n {
			if !sleepUntil(ctx, from.Add(time.Duration(i)*span/time.Duration(n))) {
				return
			}
			go h.bid(ctx, r, bidders[i])
		}
		if !sleepUntil(ctx, d.Add(h.cfg.Overrun+100*time.Millisecond)) {
			return
		}
		select {
		case <-lot.closed:
			return
		default:
		}
		if !local().After(d) {
			return // not moved, yet not closed: the wait for the close reports it
		}
	}
}

// bid sends one storm bid at the next minimum the room last showed,
// whether or not the bidder believes the lot still live: bids after the
// deadline are the point.
func (h *hotRun) bid(ctx context.Context, r *roomRun, m *member) {
	st := r.state()
	if st.lotID == "" || st.nextMin == 0 {
		h.sw.stats.noLot.Add(1)
		return
	}
	if m.inflight.Load() >= 32 {
		h.sw.stats.skipped.Add(1)
		return
	}
	_, deadline := h.clk.lotOf(r.info.RoomID)
	s := h.sw
	id := fmt.Sprintf("lt-%s-%d", s.runID, s.nBid.Add(1))
	b := &sentBid{c: ClientBid{BidID: id, RoomID: r.info.RoomID, LotID: st.lotID, BidderID: m.sess.UserID, Amount: st.nextMin}}
	b.sentAt = time.Now()
	h.sentMu.Lock()
	h.sentAt[id] = msf(b.sentAt.Add(h.offset).Sub(deadline))
	h.lastBid = b.sentAt
	h.sentMu.Unlock()
	s.post(context.WithoutCancel(ctx), m, b, st.currency)
}

// summary assembles the stormed lots and audits them.
func (h *hotRun) summary() *HotLotSummary {
	sent := h.sw.clientBids()
	h.sentMu.Lock()
	sentAt := make(map[string]float64, len(h.sentAt))
	for k, v := range h.sentAt {
		sentAt[k] = v
	}
	h.sentMu.Unlock()
	out := &HotLotSummary{Rooms: len(h.sw.rooms), Bidders: len(h.sw.bidders), Watchers: len(h.sw.watchers),
		Rate: h.cfg.Rate, StormS: h.cfg.Storm.Seconds()}
	for _, r := range h.sw.rooms {
		if l, _ := h.clk.lotOf(r.info.RoomID); l != nil {
			out.Lots = append(out.Lots, h.clk.lot(l, sent, sentAt))
		}
	}
	out.finish()
	return out
}

// finish audits the lots and buckets their bids.
func (s *HotLotSummary) finish() {
	s.Audit = AuditHotLots(s.Lots)
	s.Buckets = hotBuckets(s.Lots)
}

// sleepUntil sleeps until t; false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}
