// Command loadtest drives Bidcast with synthetic load.
//
//	loadtest viewers   -url http://127.0.0.1:8080 -room r1 -token T -viewers 200 -ramp 20 -duration 60s -server-pid PID
//	loadtest sfuserver -addr 127.0.0.1:8099 -ice-udp 127.0.0.1:8443
//	loadtest udpsink -sockets 200 & loadtest udpfloor -sockets 200 -pps 150
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/bidcast/bidcast/loadtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: loadtest viewers|sfuserver|udpfloor|udpsink [flags] (-h for flags)")
	}
	switch args[0] {
	case "viewers":
		return viewers(ctx, args[1:])
	case "sfuserver":
		return sfuserver(ctx, args[1:])
	case "udpfloor", "udpsink":
		return udpfloor(ctx, args[0], args[1:])
	default:
		return fmt.Errorf("unknown subcommand %q (want viewers, sfuserver, udpfloor or udpsink)", args[0])
	}
}

func viewers(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("viewers", flag.ContinueOnError)
	var cfg loadtest.ViewersConfig
	var allow string
	fs.StringVar(&cfg.BaseURL, "url", "http://127.0.0.1:8080", "base URL of the server (WHIP/WHEP under /whip/ and /whep/)")
	fs.StringVar(&cfg.Room, "room", "loadtest", "room id")
	fs.StringVar(&cfg.PublishToken, "token", "", "publish token (WHIP bearer)")
	fs.StringVar(&cfg.ViewToken, "view-token", "", "view token (WHEP bearer), empty for public rooms")
	fs.IntVar(&cfg.Viewers, "viewers", 200, "number of WHEP viewers")
	fs.Float64Var(&cfg.RampRate, "ramp", 20, "viewers started per second")
	fs.DurationVar(&cfg.Duration, "duration", 60e9, "steady-state measurement after the ramp")
	fs.IntVar(&cfg.ServerPID, "server-pid", 0, "pid of the server process to sample CPU and RSS from /proc")
	fs.IntVar(&cfg.PaceKbps, "pace-kbps", 0, "pace publisher packets at this rate like a browser (e.g. 3750 = 2.5x 1.5 Mbit/s); 0 sends frames in bursts")
	fs.StringVar(&cfg.ClipPath, "clip", "", "Annex B H.264 clip (generated with ffmpeg when missing)")
	fs.StringVar(&allow, "allow-remote", "", "comma-separated non-loopback hosts that may be targeted")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if allow != "" {
		cfg.AllowRemote = strings.Split(allow, ",")
	}
	cfg.Out = os.Stdout
	_, err := loadtest.RunViewers(ctx, cfg)
	return err
}

func sfuserver(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("sfuserver", flag.ContinueOnError)
	var cfg loadtest.SFUServerConfig
	level := fs.String("log-level", "warn", "debug, info, warn or error")
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8099", "HTTP address (loopback)")
	fs.StringVar(&cfg.ICEUDPAddr, "ice-udp", "127.0.0.1:8443", "ICE UDP address")
	fs.BoolVar(&cfg.NoBatching, "no-batching", false, "send one datagram per system call (no sendmmsg)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return err
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))
	return loadtest.RunSFUServer(ctx, cfg)
}

// udpfloor measures the kernel's cost of loopback datagrams (udpsink is the
// receiving side, run as a separate process).
func udpfloor(ctx context.Context, role string, args []string) error {
	fs := flag.NewFlagSet(role, flag.ContinueOnError)
	cfg := loadtest.UDPFloorConfig{Out: os.Stdout}
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
