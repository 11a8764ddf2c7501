package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"sync"

	"github.com/bidcast/bidcast/demo"
)

// The demo (DEMO=true, which `make run` sets) gives a newcomer a live room
// at once: package demo seeds a seller, a live room and lots, keeps a lot
// running and broadcasts a moving test pattern into the room over this
// server's own WHIP endpoint. Guests may bid in the demo room, a setting
// of that room alone (demo.Seed makes it so): other sellers' rooms keep
// their own.

// demoShow is the running demo room.
type demoShow struct {
	a     *App
	show  demo.Show
	pilot *demo.Autopilot
}

// seedDemo seeds the demo show and makes its autopilot; wire subscribes
// the autopilot to the room events (services.feed).
func seedDemo(ctx context.Context, a *App, s *services) (*demoShow, error) {
	show, err := demo.Seed(ctx, a.db, demo.Config{})
	if err != nil {
		return nil, err
	}
	lookup := func(roomID string) (demo.LiveRoom, bool) {
		lr, ok := s.rooms.Get(roomID)
		if !ok {
			s.node.Kick() // claim the room sooner than the next scan
			return nil, false
		}
		return lr, true
	}
	pilot := demo.NewAutopilot(a.db, show, demo.Config{}, lookup, a.log.With("component", "demo"))
	return &demoShow{a: a, show: show, pilot: pilot}, nil
}

// run prints the demo room's address, then broadcasts and keeps lots
// running until ctx ends.
func (d *demoShow) run(ctx context.Context) {
	url := d.a.cfg.PublicURL + "/rooms/" + d.show.RoomID
	d.a.log.Info("demo room is live", "url", url)
	fmt.Fprintf(os.Stderr, "\nDemo room (guests may bid): %s\nSeller studio: %s/studio (auctiond user login-link local:%s)\n\n",
		url, d.a.cfg.PublicURL, demo.DefaultSeller)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := demo.RunPublisher(ctx, demo.PublisherConfig{
			WHIPURL:  "http://" + dialable(d.a.httpLn.Addr()) + "/whip/" + d.show.RoomID,
			Token:    d.show.PublishToken,
			Loopback: d.a.cfg.SFU.LoopbackCandidates,
		}, d.a.log.With("component", "demo"))
		if err != nil {
			d.a.log.Warn("demo: no broadcast, the demo room has no video", "err", err)
		}
	}()
	d.pilot.Run(ctx)
	wg.Wait()
}

// dialable turns a listener address into one this process can dial: an
// unspecified host (0.0.0.0, ::) becomes loopback.
func dialable(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
