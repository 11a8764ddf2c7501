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
	"strings"
	"sync"
	"time"
)

// Scenario is a mixed event read from a JSON file (see
// loadtest/scenarios/evening.json): several rooms, video, bids and chat
// together, and a join spike in the middle.
type Scenario struct {
	Name     string   `json:"name"`
	Duration Duration `json:"duration"` // whole event after setup (≤ 10 min)
	Rooms    int      `json:"rooms"`    // how many rooms of the rooms file to use
	Video    struct {
		Rooms    int     `json:"rooms"`            // rooms with a synthetic publisher (the first N)
		Viewers  int     `json:"viewers_per_room"` // WHEP viewers per video room at the start
		Ramp     float64 `json:"ramp"`             // viewers per second
		PaceKbps int     `json:"pace_kbps"`
	} `json:"video"`
	Bids struct {
		Bidders  int     `json:"bidders"`  // over all rooms
		Watchers int     `json:"watchers"` // over all rooms
		Rate     float64 `json:"rate"`     // bids per second over all rooms
	} `json:"bids"`
	Chat struct {
		Rate float64 `json:"rate"` // chat lines per second over all rooms
	} `json:"chat"`
	Spike struct {
		At       Duration `json:"at"`       // after the start
		Viewers  int      `json:"viewers"`  // extra WHEP viewers in the first video room
		Ramp     float64  `json:"ramp"`     // their rate per second
		Watchers int      `json:"watchers"` // extra WebSocket watchers, spread over the rooms
	} `json:"spike"`
}

// Duration is a time.Duration written as "90s" in JSON.
type Duration time.Duration

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: want a string such as \"30s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// LoadScenario reads and checks a scenario file.
func LoadScenario(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var s Scenario
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("parse scenario %s: %w", path, err)
	}
	return &s, s.Validate()
}

// Validate checks the scenario's bounds.
func (s *Scenario) Validate() error {
	d := time.Duration(s.Duration)
	switch {
	case d <= 0 || d > 10*time.Minute:
		return errors.New("scenario duration must be in (0, 10m]")
	case s.Rooms < 1 || s.Rooms > 100:
		return errors.New("scenario rooms must be 1..100")
	case s.Video.Rooms < 0 || s.Video.Rooms > s.Rooms:
		return errors.New("video.rooms must be 0..rooms")
	case s.Video.Viewers < 0 || s.Video.Viewers*max(s.Video.Rooms, 1)+s.Spike.Viewers > 2000:
		return errors.New("at most 2000 WHEP viewers in a scenario")
	case s.Video.Rooms > 0 && s.Video.Viewers > 0 && s.Video.Ramp <= 0:
		return errors.New("video.ramp must be positive")
	case s.Bids.Bidders < s.Rooms:
		return errors.New("bids.bidders must be at least one per room")
	case s.Spike.At < 0 || time.Duration(s.Spike.At) >= d:
		return errors.New("spike.at must fall inside the duration")
	case s.Spike.Viewers > 0 && (s.Video.Rooms == 0 || s.Spike.Ramp <= 0):
		return errors.New("a viewer spike needs video.rooms ≥ 1 and spike.ramp > 0")
	}
	return nil
}

// ScenarioConfig configures RunScenario.
type ScenarioConfig struct {
	BaseURL     string
	Scenario    *Scenario
	Rooms       []RoomInfo
	ServerPID   int
	MetricsURL  string // the server's Prometheus endpoint, read when ServerPID is 0 (see MetricsURL)
	DatabaseURL string
	AllowHosts  []string
	Out         io.Writer
	// StartAt is the instant the event starts once everyone is connected
	// (zero: at once), the same for every shard of a distributed run.
	StartAt time.Time
}

// RunScenario runs the mixed event: publishers and viewers in the video
// rooms, bidders, watchers and chat in every room, and the spike.
func RunScenario(ctx context.Context, cfg ScenarioConfig) (*Report, error) {
	sc := cfg.Scenario
	if len(cfg.Rooms) < sc.Rooms {
		return nil, fmt.Errorf("scenario %q needs %d rooms, the rooms file has %d", sc.Name, sc.Rooms, len(cfg.Rooms))
	}
	rooms := cfg.Rooms[:sc.Rooms]
	bc := BidsConfig{BaseURL: cfg.BaseURL, Rooms: rooms, Bidders: sc.Bids.Bidders, Watchers: sc.Bids.Watchers + sc.Spike.Watchers,
		Rate: sc.Bids.Rate, ChatRate: sc.Chat.Rate, Duration: time.Duration(sc.Duration), AllowHosts: cfg.AllowHosts, Out: cfg.Out}
	base, err := bc.validate()
	if err != nil {
		return nil, fmt.Errorf("scenario %q: %w", sc.Name, err)
	}
	rep := newReport("scenario", cfg.BaseURL)
	var swarms []*viewerSwarm
	defer func() {
		for _, vs := range swarms {
			vs.close()
		}
	}()
	for _, r := range rooms[:sc.Video.Rooms] {
		vs, err := startViewerSwarm(ctx, base, viewerSwarmConfig{room: r.RoomID, publishToken: r.PublishToken,
			viewers: sc.Video.Viewers, ramp: sc.Video.Ramp, paceKbps: sc.Video.PaceKbps, audio: true,
			clipPath: filepath.Join(os.TempDir(), "bidcast-loadtest-720p30-1500k.h264"), allowHosts: cfg.AllowHosts, out: cfg.Out})
		if err != nil {
			return nil, fmt.Errorf("room %s: %w", r.RoomID, err)
		}
		swarms = append(swarms, vs)
	}
	bs := newBidSwarm(rep)
	defer bs.close()
	if err := bs.connect(ctx, base, rooms, sc.Bids.Bidders, sc.Bids.Watchers, 50, cfg.Out); err != nil {
		return nil, err
	}
	if err := waitStart(ctx, cfg.StartAt); err != nil {
		return nil, err
	}
	if !cfg.StartAt.IsZero() {
		rep.Started = time.Now() // shards' series line up from the common start
	}
	fill := func(p *Point, dt time.Duration) {
		for _, vs := range swarms {
			vs.fill(p, dt)
		}
		bs.fill(p, dt)
	}
	smp := newSampler(NewServerProbe(ctx, cfg.ServerPID, MetricsURL(cfg.MetricsURL, cfg.BaseURL)), fill)
	stopSampler := smp.background(ctx, rep.Started)
	var wg sync.WaitGroup

	var vwg sync.WaitGroup
	for _, vs := range swarms {
		vwg.Add(1)
		go func() { defer vwg.Done(); vs.ramp(ctx, rep) }()
	}
	vwg.Wait()
	for _, vs := range swarms {
		vs.beginSteady()
	}
	smp.markStart(ctx)
	fmt.Fprintf(cfg.Out, "scenario %q: %s of bids %.1f/s, chat %.1f/s, video in %d rooms; spike at %s\n",
		sc.Name, time.Duration(sc.Duration), sc.Bids.Rate, sc.Chat.Rate, sc.Video.Rooms, time.Duration(sc.Spike.At))
	wg.Add(1)
	go func() {
		defer wg.Done()
		runSpike(ctx, sc, base, swarms, bs, rep, cfg.Out)
	}()
	bs.drive(ctx, sc.Bids.Rate, sc.Chat.Rate, time.Duration(sc.Duration))
	smp.markEnd(ctx)
	bs.finish(ctx, cfg.Out)
	stopSampler()
	wg.Wait()

	rep.Bids = bs.summary(sc.Bids.Rate, time.Duration(sc.Duration))
	if len(swarms) > 0 {
		vsm, err := mergeViewers(swarms)
		if err != nil {
			return nil, err
		}
		if rep.Viewers, err = vsm.summary(); err != nil {
			return nil, err
		}
		rep.samples().Viewers = vsm
	}
	smp.report(rep)
	bs.audit(ctx, base, cfg.DatabaseURL)
	rep.Seconds = time.Since(rep.Started).Seconds()
	rep.add("scenario", sc.Name)
	if rep.Viewers != nil {
		rep.Viewers.addKV(rep)
	}
	rep.Bids.addKV(rep)
	return rep, ctx.Err()
}

// runSpike waits for the spike's time, then joins its viewers and watchers
// at once.
func runSpike(ctx context.Context, sc *Scenario, base *url.URL, swarms []*viewerSwarm, bs *bidSwarm, rep *Report, out io.Writer) {
	select {
	case <-time.After(time.Duration(sc.Spike.At)):
	case <-ctx.Done():
		return
	}
	fmt.Fprintf(out, "spike: %d viewers and %d watchers join\n", sc.Spike.Viewers, sc.Spike.Watchers)
	var wg sync.WaitGroup
	if sc.Spike.Viewers > 0 && len(swarms) > 0 {
		wg.Add(1)
		go func() { defer wg.Done(); swarms[0].add(ctx, sc.Spike.Viewers, sc.Spike.Ramp, rep) }()
	}
	for i := 0; i < sc.Spike.Watchers; i++ {
		room := bs.rooms[i%len(bs.rooms)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := bs.join(ctx, base, room, fmt.Sprintf("lt-spike%d", i), true)
			if err != nil {
				rep.noteError("spike watcher: " + err.Error())
				return
			}
			bs.addWatcher(m)
		}()
	}
	wg.Wait()
}

// mergeViewers ends every video room's window and adds their raw figures
// up: counts are sums, latency percentiles come from the merged
// histograms, and ratios are taken over the sums (see ViewerSamples).
func mergeViewers(swarms []*viewerSwarm) (*ViewerSamples, error) {
	out := &ViewerSamples{}
	for _, vs := range swarms {
		if err := out.add(vs.endSteady()); err != nil {
			return nil, err
		}
	}
	return out, nil
}
