// Command loadtest drives Bidcast with synthetic load (see docs/PERFORMANCE.md
// and the loadtest package for the report schema).
//
//	loadtest viewers  -url http://127.0.0.1:8080 -rooms rooms.json -viewers 200 -ramp 20 -duration 60s
//	loadtest viewers  -url http://a:8080 -nodes http://b:8080,http://c:8080 -rooms rooms.json … (kill a node: reconnect p50/p95)
//	loadtest browsers -url http://127.0.0.1:8080 -rooms rooms.json -tabs 8 -duration 60s -bid-every 5s
//	loadtest bids     -url http://127.0.0.1:8080 -rooms rooms.json -bidders 50 -watchers 200 -rate 20 -duration 30s
//	loadtest scenario -url http://127.0.0.1:8080 -rooms rooms.json -config loadtest/scenarios/evening.json
//	loadtest hotlot   -url http://127.0.0.1:8080 -rooms rooms.json -bidders 40 -watchers 200 -rate 40 -storm 5s
//	loadtest bids … -shard 0/2 -start-at 2026-12-05T20:00:00Z -samples shard-0.json   (on each of N machines)
//	loadtest merge -json all.json -html all.html -junit all.xml -slo 'decision_p99<50ms' shard-*.json
//	loadtest sfuserver -addr 127.0.0.1:8099 -ice-udp 127.0.0.1:8443
//	loadtest udpsink -sockets 200 & loadtest udpfloor -sockets 200 -pps 150
//
// A rooms file is what `auctiond room create --json` prints, one object per
// room appended together. Every run prints a table, writes -json, -html and
// -junit reports when asked, and ends stdout with one key=value summary
// line; an audit failure or a missed -slo threshold exits non-zero.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/bidcast/bidcast/loadtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

const usage = "usage: loadtest viewers|browsers|bids|scenario|hotlot|merge|sfuserver|udpfloor|udpsink|freeport [flags] (-h for flags)"

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "viewers", "browsers", "bids", "scenario", "hotlot":
		return load(ctx, args[0], args[1:], out)
	case "sfuserver":
		return sfuserver(ctx, args[1:])
	case "udpfloor", "udpsink":
		return udpfloor(ctx, args[0], args[1:], out)
	case "merge":
		return merge(ctx, args[1:], out)
	case "freeport":
		return freeport(args[1:], out)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(out, usage)
		return nil
	default:
		return fmt.Errorf("unknown subcommand %q; %s", args[0], usage)
	}
}

// common are the flags every load subcommand shares.
type common struct {
	url, roomsFile, room, token, allow, dbURL string
	metricsURL                                string
	pid                                       int
	shard, startAt, samplesPath               string
	cpuProfile                                string
	out                                       outputs
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "base URL of the server")
	fs.StringVar(&c.roomsFile, "rooms", "", "rooms file: output of `auctiond room create --json` (one or more)")
	fs.StringVar(&c.room, "room", "", "room id (instead of -rooms)")
	fs.StringVar(&c.token, "token", "", "publish token of -room (WHIP bearer)")
	fs.StringVar(&c.allow, "allow-host", "", "comma-separated non-loopback hosts that may be targeted")
	fs.StringVar(&c.allow, "allow-remote", "", "same as -allow-host")
	fs.StringVar(&c.dbURL, "audit-db", "", "Postgres URL for the bid audit (default: audit through the JSON API)")
	fs.IntVar(&c.pid, "server-pid", 0, "pid of the server, to read CPU and RSS from /proc (default: the server's /metrics)")
	fs.StringVar(&c.metricsURL, "metrics-url", "http://127.0.0.1:6060/metrics",
		"the server's Prometheus endpoint, read without -server-pid (auctiond serves it on its admin listener, ADMIN_ADDR)")
	fs.StringVar(&c.shard, "shard", "", "i/N: run shard i (0-based) of N generators: its rooms (j mod N = i) and 1/N of the load")
	fs.StringVar(&c.startAt, "start-at", "", "RFC 3339 instant the load starts, the same for every shard (default: at once)")
	fs.StringVar(&c.samplesPath, "samples", "", "write the raw samples (histograms, counts, audit records) here, for `loadtest merge`: a file or s3://bucket/key (AWS_* credentials from the environment)")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the load generator itself here (go tool pprof)")
	c.out.register(fs)
}

func (c *common) allowHosts() []string {
	if c.allow == "" {
		return nil
	}
	return strings.Split(c.allow, ",")
}

func (c *common) rooms() ([]loadtest.RoomInfo, error) {
	if c.roomsFile != "" {
		return loadtest.LoadRooms(c.roomsFile)
	}
	if c.room == "" {
		return nil, errors.New("name the rooms with -rooms FILE (or -room ID -token T)")
	}
	return []loadtest.RoomInfo{{RoomID: c.room, PublishToken: c.token}}, nil
}

// load runs one of the measuring subcommands and writes its outputs, the
// summary line last.
func load(ctx context.Context, kind string, args []string, out io.Writer) error {
	fs := flag.NewFlagSet(kind, flag.ContinueOnError)
	var c common
	c.register(fs)
	var vc loadtest.ViewersConfig
	var bc loadtest.BrowsersConfig
	var dc loadtest.BidsConfig
	var hc loadtest.HotLotConfig
	scenarioPath := ""
	switch kind {
	case "viewers":
		fs.IntVar(&vc.Viewers, "viewers", 200, "WHEP viewers (1..5000)")
		fs.Float64Var(&vc.RampRate, "ramp", 20, "viewers started per second")
		fs.DurationVar(&vc.Duration, "duration", 60e9, "steady-state measurement after the ramp (max 30m)")
		fs.IntVar(&vc.PaceKbps, "pace-kbps", 0, "pace publisher packets at this rate like a browser (e.g. 3750); 0 sends frames in bursts")
		fs.StringVar(&vc.ClipPath, "clip", "", "Annex B H.264 clip (generated with ffmpeg when missing)")
		fs.StringVar(&vc.ViewToken, "view-token", "", "WHEP bearer token, for private rooms")
		fs.BoolVar(&vc.NoAudio, "no-audio", false, "publish and watch video only (no Opus)")
		fs.Func("nodes", "comma-separated node URLs of a cluster: viewers start on them in turn and move to another when theirs goes silent (the publisher starts on -url and moves too)", func(s string) error {
			vc.Nodes = strings.Split(s, ",")
			return nil
		})
		fs.DurationVar(&vc.ReconnectAfter, "reconnect-after", 1e9, "with -nodes: a viewer that heard nothing this long moves to another node")
		fs.StringVar(&vc.WHIPPath, "whip-path", "", "WHIP path with {room} (default /whip/{room}; MediaMTX: /{room}/whip)")
		fs.StringVar(&vc.WHEPPath, "whep-path", "", "WHEP path with {room} (default /whep/{room}; MediaMTX: /{room}/whep)")
	case "browsers":
		fs.IntVar(&bc.Tabs, "tabs", 8, "headless Chromium tabs (1..64)")
		fs.Float64Var(&bc.Ramp, "ramp", 2, "tabs opened per second")
		fs.DurationVar(&bc.Duration, "duration", 60e9, "measured time after the ramp (max 30m)")
		fs.StringVar(&bc.Page, "page", "auto", "auto, room ({url}/rooms/{id}), builtin (the toolkit's WHEP player) or a URL")
		fs.DurationVar(&bc.BidEvery, "bid-every", 0, "each tab bids through the page this often (0: never)")
		fs.StringVar(&bc.Chromium, "chromium", "/usr/bin/chromium", "Chromium binary")
		fs.BoolVar(&bc.NoPublish, "no-publish", false, "do not publish the synthetic stream (someone else does)")
	case "bids":
		fs.IntVar(&dc.Bidders, "bidders", 50, "WebSocket bidders over all rooms")
		fs.IntVar(&dc.Watchers, "watchers", 200, "WebSocket watchers over all rooms")
		fs.Float64Var(&dc.Rate, "rate", 20, "bids per second over all rooms (open loop)")
		fs.Float64Var(&dc.ChatRate, "chat-rate", 0, "chat lines per second over all rooms")
		fs.DurationVar(&dc.Duration, "duration", 30e9, "bidding time (max 10m)")
	case "scenario":
		fs.StringVar(&scenarioPath, "config", "loadtest/scenarios/evening.json", "scenario file (JSON)")
	case "hotlot":
		fs.IntVar(&hc.Bidders, "bidders", 40, "WebSocket bidders over all rooms (they storm)")
		fs.IntVar(&hc.Watchers, "watchers", 200, "WebSocket watchers over all rooms")
		fs.Float64Var(&hc.Rate, "rate", 40, "storm bids per second per room (open loop)")
		fs.DurationVar(&hc.Storm, "storm", 5e9, "the storm starts this long before the lot's deadline")
		fs.DurationVar(&hc.MaxStorm, "max-storm", 20e9, "stop storming a lot whose deadline keeps moving (soft-close) after this, then a last volley")
		fs.DurationVar(&hc.Overrun, "overrun", 1e9, "keep bidding this long past the deadline")
		fs.IntVar(&hc.Viewers, "viewers", 0, "WHEP viewers of the first room's synthetic stream through the storm (0: none)")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	shard, err := loadtest.ParseShard(c.shard)
	if err != nil {
		return err
	}
	startAt, err := loadtest.ParseStartAt(c.startAt)
	if err != nil {
		return err
	}
	if kind == "hotlot" && startAt != (time.Time{}) {
		return errors.New("hotlot follows each lot's own deadline: -start-at does not apply")
	}
	if !shard.Whole() && c.samplesPath == "" {
		return errors.New("a shard needs -samples FILE for `loadtest merge`")
	}
	slos, err := loadtest.ParseSLOs(c.out.slo)
	if err != nil {
		return err
	}
	rooms, err := c.rooms()
	if err != nil {
		return err
	}
	if kind != "scenario" {
		if rooms, err = shard.Rooms(rooms); err != nil {
			return err
		}
	}
	vc.Viewers, vc.StartAt, bc.Tabs, bc.StartAt = shard.Part(vc.Viewers), startAt, shard.Part(bc.Tabs), startAt
	dc.Bidders, dc.Watchers, dc.Rate, dc.ChatRate, dc.StartAt =
		shard.Part(dc.Bidders), shard.Part(dc.Watchers), shard.Rate(dc.Rate), shard.Rate(dc.ChatRate), startAt
	hc.Bidders, hc.Watchers, hc.Viewers = shard.Part(hc.Bidders), shard.Part(hc.Watchers), shard.Part(hc.Viewers) // the rate is per room
	stopProfile, err := startCPUProfile(c.cpuProfile)
	if err != nil {
		return err
	}
	defer func() { _ = stopProfile() }() // on an early return; stopping twice is harmless
	var rep *loadtest.Report
	switch kind {
	case "viewers":
		vc.BaseURL, vc.Room, vc.PublishToken, vc.ServerPID, vc.MetricsURL, vc.AllowHosts, vc.Out =
			c.url, rooms[0].RoomID, rooms[0].PublishToken, c.pid, c.metricsURL, c.allowHosts(), out
		rep, err = loadtest.RunViewers(ctx, vc)
	case "browsers":
		bc.BaseURL, bc.Room, bc.ServerPID, bc.MetricsURL, bc.AllowHosts, bc.Out =
			c.url, rooms[0], c.pid, c.metricsURL, c.allowHosts(), out
		rep, err = loadtest.RunBrowsers(ctx, bc)
	case "bids":
		dc.BaseURL, dc.Rooms, dc.ServerPID, dc.MetricsURL, dc.DatabaseURL, dc.AllowHosts, dc.Out =
			c.url, rooms, c.pid, c.metricsURL, c.dbURL, c.allowHosts(), out
		rep, err = loadtest.RunBids(ctx, dc)
	case "hotlot":
		hc.BaseURL, hc.Rooms, hc.ServerPID, hc.MetricsURL, hc.DatabaseURL, hc.AllowHosts, hc.Out =
			c.url, rooms, c.pid, c.metricsURL, c.dbURL, c.allowHosts(), out
		rep, err = loadtest.RunHotLot(ctx, hc)
	case "scenario":
		sc, serr := loadtest.LoadScenario(scenarioPath)
		if serr != nil {
			return serr
		}
		if sc, rooms, serr = shard.Scenario(sc, rooms); serr != nil {
			return serr
		}
		rep, err = loadtest.RunScenario(ctx, loadtest.ScenarioConfig{BaseURL: c.url, Scenario: sc, Rooms: rooms,
			ServerPID: c.pid, MetricsURL: c.metricsURL, DatabaseURL: c.dbURL, AllowHosts: c.allowHosts(), Out: out,
			StartAt: startAt})
	}
	if perr := stopProfile(); perr != nil && err == nil {
		err = perr
	}
	if rep == nil {
		return err
	}
	rep.Args = append([]string{kind}, redact(args)...)
	if c.samplesPath != "" {
		if werr := rep.WriteSamples(c.samplesPath, shard, startAt); werr != nil {
			return werr
		}
		fmt.Fprintf(out, "samples (shard %s): %s\n", shard, c.samplesPath)
	}
	return finish(rep, err, c.out, slos, out)
}

// redact hides passwords in URL arguments (-audit-db), so reports can be
// shared.
func redact(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a
		if u, err := url.Parse(a); err == nil && u.User != nil {
			if _, has := u.User.Password(); has {
				u.User = url.UserPassword(u.User.Username(), "xxxxx")
				out[i] = u.String()
			}
		}
	}
	return out
}

// outputs are the report files and thresholds every measuring subcommand
// and merge share.
type outputs struct {
	jsonPath, htmlPath, junitPath, slo string
}

func (o *outputs) register(fs *flag.FlagSet) {
	fs.StringVar(&o.jsonPath, "json", "", "write the JSON report here")
	fs.StringVar(&o.htmlPath, "html", "", "write the self-contained HTML report here")
	fs.StringVar(&o.junitPath, "junit", "", "write a JUnit XML report here (one test case per threshold and for the audit)")
	fs.StringVar(&o.slo, "slo", "", "thresholds, e.g. 'decision_p99<50ms,first_frame_p95<1s,loss=0': a missed one exits non-zero")
}

// finish prints the table, writes the reports and ends with the summary
// line; an audit failure or a missed threshold makes the exit status
// non-zero.
func finish(rep *loadtest.Report, runErr error, o outputs, slos []loadtest.SLO, out io.Writer) error {
	checks := rep.CheckSLOs(slos)
	rep.WriteTable(out)
	if o.jsonPath != "" {
		if err := rep.WriteJSON(o.jsonPath); err != nil {
			return err
		}
		fmt.Fprintf(out, "json report: %s\n", o.jsonPath)
	}
	if o.htmlPath != "" {
		if err := rep.WriteHTML(o.htmlPath); err != nil {
			return err
		}
		fmt.Fprintf(out, "html report: %s\n", o.htmlPath)
	}
	if o.junitPath != "" {
		if err := rep.WriteJUnit(o.junitPath, checks, runErr); err != nil {
			return err
		}
		fmt.Fprintf(out, "junit report: %s\n", o.junitPath)
	}
	fmt.Fprintln(out, rep.SummaryLine())
	if runErr != nil {
		return runErr
	}
	if rep.Audit != nil && !rep.Audit.OK {
		return errors.New("the bid audit found violations")
	}
	if rep.HotLot != nil && !rep.HotLot.Audit.OK {
		return errors.New("the deadline audit found violations")
	}
	if failed := loadtest.FailedSLOs(checks); len(failed) > 0 {
		return fmt.Errorf("thresholds missed: %s", strings.Join(failed, ", "))
	}
	return nil
}

// merge builds one report from the samples files of every shard of a run.
func merge(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	var o outputs
	o.register(fs)
	dbURL := fs.String("audit-db", "", "Postgres URL: reread the server's record for the audit (default: the shards' API records)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	slos, err := loadtest.ParseSLOs(o.slo)
	if err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("usage: loadtest merge [-json F] [-html F] [-junit F] [-slo S] [-audit-db URL] shard-0.json shard-1.json … (or s3://bucket/prefix/)")
	}
	rep, err := loadtest.Merge(ctx, loadtest.MergeConfig{Files: fs.Args(), DatabaseURL: *dbURL})
	if err != nil {
		return err
	}
	return finish(rep, nil, o, slos, out)
}

func sfuserver(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("sfuserver", flag.ContinueOnError)
	var cfg loadtest.SFUServerConfig
	level := fs.String("log-level", "warn", "debug, info, warn or error")
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8099", "HTTP address (loopback)")
	fs.StringVar(&cfg.ICEUDPAddr, "ice-udp", "127.0.0.1:8443", "ICE UDP address")
	fs.BoolVar(&cfg.NoBatching, "no-batching", false, "send one datagram per system call (no sendmmsg)")
	fs.BoolVar(&cfg.NoGSO, "no-gso", false, "batch with sendmmsg but without UDP GSO")
	fs.BoolVar(&cfg.NoDirect, "no-direct", false, "send every packet through Pion's write chain (no direct SRTP into the batch)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("log level: %w", err)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))
	return loadtest.RunSFUServer(ctx, cfg)
}

// udpfloor measures the kernel's cost of loopback datagrams (udpsink is the
// receiving side, run as a separate process).
func udpfloor(ctx context.Context, role string, args []string, out io.Writer) error {
	fs := flag.NewFlagSet(role, flag.ContinueOnError)
	cfg := loadtest.UDPFloorConfig{Out: out}
	fs.IntVar(&cfg.Sockets, "sockets", 200, "receiving sockets")
	fs.IntVar(&cfg.PPS, "pps", 150, "datagrams per second per socket")
	fs.IntVar(&cfg.Size, "size", 1200, "datagram size in bytes")
	fs.DurationVar(&cfg.Duration, "duration", 10e9, "sending time")
	fs.IntVar(&cfg.BasePort, "base-port", 30000, "first receiving port on 127.0.0.1")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if role == "udpsink" {
		return loadtest.RunUDPSink(ctx, cfg)
	}
	return loadtest.RunUDPFloor(ctx, cfg)
}

// freeport prints a free loopback port ("tcp" or "udp"), for scripts such
// as `make loadtest` that start a server next to the load generator.
func freeport(args []string, out io.Writer) error {
	network := "tcp"
	if len(args) > 0 {
		network = args[0]
	}
	var addr net.Addr
	switch network {
	case "tcp":
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("free tcp port: %w", err)
		}
		addr = l.Addr()
		_ = l.Close()
	case "udp":
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("free udp port: %w", err)
		}
		addr = c.LocalAddr()
		_ = c.Close()
	default:
		return fmt.Errorf("freeport: want tcp or udp, not %q", network)
	}
	_, port, _ := net.SplitHostPort(addr.String())
	_, err := fmt.Fprintln(out, port)
	return err
}
