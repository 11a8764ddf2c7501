package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"

	"github.com/bidcast/bidcast/bidding"
	"github.com/bidcast/bidcast/storage"
)

// RoomConfig says where the server serves the demo room.
type RoomConfig struct {
	// PublicURL is the server's public base URL, printed for people.
	PublicURL string
	// HTTPAddr is the server's own HTTP listener; the broadcast reaches
	// its WHIP endpoint there.
	HTTPAddr net.Addr
	// Loopback is the server's SFU_LOOPBACK_CANDIDATES, for the
	// broadcaster's ICE.
	Loopback bool
	// Welcome receives the lines that tell a person where the demo room
	// and the seller studio are (os.Stderr in the server).
	Welcome io.Writer
}

// Room is the running demo: the seeded show, its autopilot (an
// events.Subscriber the server subscribes to the room events) and the
// test-pattern broadcast.
type Room struct {
	// Show is the seeded demo room, seller and publish token.
	Show Show
	// Pilot keeps a lot running; subscribe it to the room events.
	Pilot *Autopilot
	cfg   RoomConfig
	log   *slog.Logger
}

// NewRoom seeds the demo show and makes its autopilot, which finds the
// room's running instance among this node's rooms and asks the node to
// claim the room sooner than its next scan while it is not running yet.
func NewRoom(ctx context.Context, db *storage.DB, cfg RoomConfig, rooms *bidding.Rooms, node *bidding.Node,
	log *slog.Logger) (*Room, error) {
	show, err := Seed(ctx, db, Config{})
	if err != nil {
		return nil, err
	}
	lookup := func(roomID string) (LiveRoom, bool) {
		lr, ok := rooms.Get(roomID)
		if !ok {
			node.Kick()
			return nil, false
		}
		return lr, true
	}
	return &Room{Show: show, Pilot: NewAutopilot(db, show, Config{}, lookup, log), cfg: cfg, log: log}, nil
}

// Run prints the demo room's address, then broadcasts and keeps lots
// running until ctx ends.
func (r *Room) Run(ctx context.Context) {
	url := r.cfg.PublicURL + "/rooms/" + r.Show.RoomID
	r.log.Info("demo room is live", "url", url)
	if r.cfg.Welcome != nil {
		fmt.Fprintf(r.cfg.Welcome, "\nDemo room (guests may bid): %s\nSeller studio: %s/studio (auctiond user login-link local:%s)\n\n",
			url, r.cfg.PublicURL, DefaultSeller)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := RunPublisher(ctx, PublisherConfig{
			WHIPURL:  "http://" + dialable(r.cfg.HTTPAddr) + "/whip/" + r.Show.RoomID,
			Token:    r.Show.PublishToken,
			Loopback: r.cfg.Loopback,
		}, r.log)
		if err != nil {
			r.log.Warn("demo: no broadcast, the demo room has no video", "err", err)
		}
	}()
	r.Pilot.Run(ctx)
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
