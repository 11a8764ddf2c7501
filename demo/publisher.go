package demo

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/bidcast/bidcast/internal/testpattern"
)

// PublisherConfig says where the test pattern goes.
type PublisherConfig struct {
	// WHIPURL is the room's WHIP endpoint, e.g.
	// http://127.0.0.1:8080/whip/{room}.
	WHIPURL string
	// Token is the room's publish token.
	Token string
	// Loopback lets ICE use loopback addresses (the server's own
	// SFU_LOOPBACK_CANDIDATES), for a publisher on the same machine.
	Loopback bool
	// ClipDir keeps the generated clip between runs; the system's
	// temporary directory by default.
	ClipDir string
	// Retry is the wait before reconnecting, 3 s by default.
	Retry time.Duration
}

// clipSpec is the test pattern: 640×360 at 15 fps, a key frame every 2 s.
var clipSpec = testpattern.ClipSpec{Width: 640, Height: 360, FPS: 15, BitrateKbps: 600, GOP: 30, Seconds: 20}

// RunPublisher broadcasts a moving test pattern (ffmpeg's testsrc, made
// once) into the room over WHIP until ctx ends, starting a new session
// whenever one fails to connect or drops. It returns an error only when
// the pattern cannot be made or WebRTC cannot start; the room then has no
// video but the demo still runs.
func RunPublisher(ctx context.Context, cfg PublisherConfig, log *slog.Logger) error {
	if cfg.Retry <= 0 {
		cfg.Retry = 3 * time.Second
	}
	clip, err := testPattern(ctx, cfg.ClipDir)
	if err != nil {
		return err
	}
	api, err := testpattern.NewPeerAPI(cfg.Loopback)
	if err != nil {
		return fmt.Errorf("demo WebRTC stack: %w", err)
	}
	for ctx.Err() == nil {
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		p, err := testpattern.StartPublisher(cctx, api, cfg.WHIPURL, cfg.Token, clip, nil, nil)
		cancel()
		if err != nil {
			log.Warn("demo: broadcast did not connect; retrying", "err", err)
			sleep(ctx, cfg.Retry)
			continue
		}
		log.Info("demo: broadcasting the test pattern", "whip", cfg.WHIPURL)
		runUntilDropped(ctx, p)
		p.Close()
		sleep(ctx, time.Second)
	}
	return nil
}

// runUntilDropped sends the clip until ctx ends or the session's
// connection is lost.
func runUntilDropped(ctx context.Context, p *testpattern.Publisher) {
	rctx, stop := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for rctx.Err() == nil {
			sleep(rctx, 2*time.Second)
			if !p.Connected() {
				stop()
			}
		}
	}()
	p.Run(rctx)
	stop()
	<-watched
}

// testPattern makes (once, with ffmpeg) and loads the test pattern.
func testPattern(ctx context.Context, dir string) (*testpattern.Clip, error) {
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "bidcast-demo")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("demo clip directory: %w", err)
	}
	path := filepath.Join(dir, fmt.Sprintf("test-pattern-%dx%d.h264", clipSpec.Width, clipSpec.Height))
	if err := testpattern.EnsureClip(ctx, path, clipSpec); err != nil {
		return nil, fmt.Errorf("make the test pattern (is ffmpeg installed?): %w", err)
	}
	clip, err := testpattern.LoadClip(path, clipSpec.FPS)
	if err != nil {
		return nil, fmt.Errorf("load the test pattern: %w", err)
	}
	return clip, nil
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
