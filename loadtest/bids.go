package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sync"
	"time"
)

// BidsConfig configures RunBids.
type BidsConfig struct {
	BaseURL  string
	Rooms    []RoomInfo    // from a rooms file (auctiond room create --json)
	Bidders  int           // WebSocket bidders over all rooms (1..5000)
	Watchers int           // WebSocket watchers over all rooms (0..20000)
	Rate     float64       // bids per second over all rooms, open loop
	ChatRate float64       // chat lines per second over all rooms
	Duration time.Duration // bidding time (≤ 10 min: guest tokens last 15)
	// ServerPID is sampled for CPU and RSS; 0 reads the server's metrics
	// at MetricsURL (see MetricsURL).
	ServerPID  int
	MetricsURL string
	// DatabaseURL, when set, makes the audit read Postgres directly;
	// otherwise it reads the JSON API.
	DatabaseURL string
	AllowHosts  []string
	Out         io.Writer
	// StartAt is the instant bidding starts, once everyone is connected
	// (zero: at once), the same for every shard of a distributed run.
	StartAt time.Time
}

func (c *BidsConfig) validate() (*url.URL, error) {
	switch {
	case len(c.Rooms) == 0:
		return nil, errors.New("no rooms: pass -rooms FILE with the output of `auctiond room create --json`")
	case c.Bidders < 1 || c.Bidders > 5000:
		return nil, fmt.Errorf("bidders must be 1..5000, got %d", c.Bidders)
	case c.Bidders < len(c.Rooms):
		return nil, fmt.Errorf("need at least one bidder per room (%d rooms, %d bidders)", len(c.Rooms), c.Bidders)
	case c.Watchers < 0 || c.Watchers > 20000:
		return nil, fmt.Errorf("watchers must be 0..20000, got %d", c.Watchers)
	case c.Rate <= 0 || c.Rate > 5000:
		return nil, fmt.Errorf("rate must be in (0, 5000] bids/s, got %g", c.Rate)
	case c.Rate > 4*float64(c.Bidders):
		return nil, fmt.Errorf("rate %g/s needs at least %d bidders: the server allows each connection 5 bids/s", c.Rate, int(c.Rate/4)+1)
	case c.ChatRate < 0 || c.ChatRate > 0.8*float64(c.Bidders+c.Watchers):
		return nil, fmt.Errorf("chat rate %g/s is over 0.8/s per connection (the server allows 1/s)", c.ChatRate)
	case c.Duration <= 0 || c.Duration > 10*time.Minute:
		return nil, errors.New("duration must be in (0, 10m]")
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	return CheckTarget(c.BaseURL, c.AllowHosts)
}

// BidsSummary is the bids section of the report.
type BidsSummary struct {
	Rooms        int     `json:"rooms"`
	Bidders      int     `json:"bidders"`
	Watchers     int     `json:"watchers"`
	TargetRate   float64 `json:"target_rate"`
	AchievedRate float64 `json:"achieved_rate"`
	Sent         int64   `json:"sent"`
	Acked        int64   `json:"acked"`
	Accepted     int64   `json:"accepted"`
	Rejected     int64   `json:"rejected"`
	// Undecided bids were acked but their outcome was not heard within the
	// drain time after the run.
	Undecided    int64 `json:"undecided"`
	ErrorReplies int64 `json:"error_replies"`
	SendFailures int64 `json:"send_failures"`
	// Skipped were not sent: the bidder had 32 unanswered bids, or no lot
	// was live at that moment (NoLot).
	Skipped    int64            `json:"skipped"`
	NoLot      int64            `json:"no_live_lot"`
	Reasons    map[string]int64 `json:"rejection_reasons,omitempty"`
	ErrorCodes map[string]int64 `json:"error_codes,omitempty"`
	// ErrorExamples is the first message the server gave for each code.
	ErrorExamples map[string]string `json:"error_examples,omitempty"`
	Ack           Quantiles         `json:"ack"`      // bid.place sent → ack (sequenced)
	Decision      Quantiles         `json:"decision"` // bid.place sent → own bid.accepted/bid.rejected
	Lag           Quantiles         `json:"lag"`      // bid.place sent → bid.accepted at each watcher
	ChatSent      int64             `json:"chat_sent"`
	ChatLag       Quantiles         `json:"chat_lag"` // chat.send → chat.message at each watcher
	LotsStarted   int               `json:"lots_started"`
	BidSeconds    float64           `json:"bid_s"`
}

// RunBids drives bidders and watchers over the rooms at a fixed rate, then
// ends the live lots and audits the acknowledged bids against the server.
func RunBids(ctx context.Context, cfg BidsConfig) (*Report, error) {
	base, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	rep := newReport("bids", cfg.BaseURL)
	sw := newBidSwarm(rep)
	defer sw.close()
	if err := sw.connect(ctx, base, cfg.Rooms, cfg.Bidders, cfg.Watchers, 50, cfg.Out); err != nil {
		return nil, err
	}
	if err := waitStart(ctx, cfg.StartAt); err != nil {
		return nil, err
	}
	if !cfg.StartAt.IsZero() {
		rep.Started = time.Now() // shards' series line up from the common start
	}
	probe := NewServerProbe(ctx, cfg.ServerPID, MetricsURL(cfg.MetricsURL, cfg.BaseURL))
	smp := newSampler(probe, sw.fill)
	stop := smp.background(ctx, rep.Started)

	smp.markStart(ctx)
	fmt.Fprintf(cfg.Out, "bidding at %.1f/s (chat %.1f/s) for %s over %d rooms\n", cfg.Rate, cfg.ChatRate, cfg.Duration, len(cfg.Rooms))
	sw.drive(ctx, cfg.Rate, cfg.ChatRate, cfg.Duration)
	smp.markEnd(ctx)
	sw.finish(ctx, cfg.Out)
	stop()

	rep.Bids = sw.summary(cfg.Rate, cfg.Duration)
	smp.report(rep)
	sw.audit(ctx, base, cfg.DatabaseURL)
	rep.Seconds = time.Since(rep.Started).Seconds()
	rep.Bids.addKV(rep)
	return rep, ctx.Err()
}

// connect signs the sellers in (starting a lot in each room), then the
// bidders and watchers, spread over the rooms, at most par at a time.
func (s *bidSwarm) connect(ctx context.Context, base *url.URL, rooms []RoomInfo, bidders, watchers, par int, out io.Writer) error {
	for _, info := range rooms {
		r := newRoomRun(info)
		if err := r.connectSeller(ctx, base); err != nil {
			return err
		}
		s.rooms = append(s.rooms, r)
	}
	fmt.Fprintf(out, "connecting %d bidders and %d watchers to %d rooms\n", bidders, watchers, len(rooms))
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i := 0; i < bidders+watchers && ctx.Err() == nil; i++ {
		watcher := i >= bidders
		room := s.rooms[i%len(s.rooms)]
		name := fmt.Sprintf("lt-b%d", i)
		if watcher {
			name = fmt.Sprintf("lt-w%d", i-bidders)
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			m, err := s.join(ctx, base, room, name, watcher)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				s.rep.noteError(err.Error())
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			if watcher {
				s.watchers = append(s.watchers, m)
			} else {
				s.bidders = append(s.bidders, m)
			}
		}()
	}
	wg.Wait()
	if len(s.bidders) == 0 {
		return fmt.Errorf("no bidder could connect: %w", firstErr)
	}
	return ctx.Err()
}

// drive runs the open-loop bid and chat schedules for d.
func (s *bidSwarm) drive(ctx context.Context, rate, chatRate float64, d time.Duration) {
	dctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	s.watchMu.Lock()
	all := append(append([]*member(nil), s.bidders...), s.watchers...)
	s.watchMu.Unlock()
	// Sends must outlive the schedule: coder/websocket closes a connection
	// whose write is cancelled, so they get a context of their own (each
	// write is still bounded by its own timeout).
	sendCtx := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		openLoop(dctx, rate, 0, func(n int64) { go s.placeBid(sendCtx, s.bidders[n%int64(len(s.bidders))]) })
	}()
	go func() {
		defer wg.Done()
		openLoop(dctx, chatRate, 0, func(n int64) { go s.sendChat(sendCtx, all[n%int64(len(all))]) })
	}()
	wg.Wait()
}

// finish waits for outstanding outcomes (up to 5 s), then ends each room's
// live lot so its result can be audited.
func (s *bidSwarm) finish(ctx context.Context, out io.Writer) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && s.undecided() > 0 && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Fprintln(out, "ending the live lots")
	var wg sync.WaitGroup
	for _, r := range s.rooms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ectx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			if err := r.endLive(ectx); err != nil {
				s.rep.noteError(err.Error())
			}
		}()
	}
	wg.Wait()
}

// close disconnects everyone.
func (s *bidSwarm) close() {
	s.closing.Store(true)
	s.watchMu.Lock()
	all := append(append([]*member(nil), s.bidders...), s.watchers...)
	s.watchMu.Unlock()
	var wg sync.WaitGroup
	for _, m := range all {
		wg.Add(1)
		go func() { defer wg.Done(); m.conn.close() }()
	}
	for _, r := range s.rooms {
		if r.conn != nil {
			wg.Add(1)
			go func() { defer wg.Done(); r.conn.close() }()
		}
	}
	wg.Wait()
	s.connWG.Wait()
}
