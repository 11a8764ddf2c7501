package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/loadtest"
	"github.com/bidcast/bidcast/storage"
)

// The demo (DEMO=true, which `make run` sets) gives a newcomer a live room
// at once: a seeded seller and room, lots that start one after another
// (more are added when the queue runs dry), and a synthetic moving test
// pattern broadcast into the room over WHIP, as OBS would. Guests may bid.
const (
	demoTitle     = "Bidcast demo: live test pattern"
	demoSeller    = "demo-seller"
	demoRoomKey   = "bidcast:demo:room"
	demoLotLength = 90 * time.Second
	// demoPause is how long a closed lot's result stays up before the next.
	demoPause = 5 * time.Second
)

// demoShow is the running demo room.
type demoShow struct {
	a        *App
	roomID   string
	sellerID string
	token    string
	closed   chan struct{} // a demo lot closed
}

// seedDemo finds or creates the demo seller and room, gives the room a
// fresh publish token for the built-in broadcaster, and makes it live.
func seedDemo(ctx context.Context, a *App) (*demoShow, error) {
	seller, err := storage.NewUsers(a.db).Upsert(ctx, storage.User{Provider: "local", Subject: demoSeller,
		DisplayName: "Demo seller", Role: storage.RoleSeller})
	if err != nil {
		return nil, fmt.Errorf("demo seller: %w", err)
	}
	if seller.Role == storage.RoleBidder {
		if seller, err = storage.NewUsers(a.db).SetRole(ctx, seller.ID, storage.RoleSeller); err != nil {
			return nil, fmt.Errorf("demo seller: %w", err)
		}
	}
	rooms := storage.NewRooms(a.db)
	d := &demoShow{a: a, sellerID: seller.ID, closed: make(chan struct{}, 1)}
	if id, err := a.redis.Get(ctx, demoRoomKey).Result(); err == nil {
		if r, err := rooms.Get(ctx, id); err == nil && r.SellerID == seller.ID && r.Status != storage.RoomEnded {
			d.roomID = r.ID
		}
	}
	if d.roomID == "" {
		r, _, err := rooms.Create(ctx, storage.NewRoom{SellerID: seller.ID, Title: demoTitle, Public: true})
		if err != nil {
			return nil, fmt.Errorf("demo room: %w", err)
		}
		d.roomID = r.ID
		if err := a.redis.Set(ctx, demoRoomKey, r.ID, 0).Err(); err != nil {
			return nil, fmt.Errorf("remember demo room: %w", err)
		}
	}
	if d.token, err = rooms.RotatePublishToken(ctx, d.roomID); err != nil {
		return nil, fmt.Errorf("demo publish token: %w", err)
	}
	if _, err := rooms.SetStatus(ctx, d.roomID, storage.RoomLive); err != nil {
		return nil, fmt.Errorf("demo room live: %w", err)
	}
	return d, nil
}

// onEvent notes that a demo lot closed, for the autopilot.
func (d *demoShow) onEvent(roomID string, e auction.Event) {
	if roomID != d.roomID || e.Type != auction.EventLotClosed {
		return
	}
	select {
	case d.closed <- struct{}{}:
	default:
	}
}

// run keeps the demo going until ctx ends.
func (d *demoShow) run(ctx context.Context) {
	url := d.a.cfg.PublicURL + "/rooms/" + d.roomID
	d.a.log.Info("demo room is live", "url", url)
	fmt.Fprintf(os.Stderr, "Demo room (guests may bid): %s\n\n", url)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		d.broadcast(ctx)
	}()
	d.autopilot(ctx)
	wg.Wait()
}

// autopilot starts a lot whenever none is running: at start, and a short
// pause after each close. When no lot is pending it adds a few.
func (d *demoShow) autopilot(ctx context.Context) {
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		if err := d.ensureLot(ctx); err != nil && ctx.Err() == nil {
			d.a.log.Warn("demo: starting a lot failed; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-d.closed:
			select {
			case <-ctx.Done():
				return
			case <-time.After(demoPause):
			}
		case <-tick.C:
		}
	}
}

// ensureLot starts the next lot if the room runs none.
func (d *demoShow) ensureLot(ctx context.Context) error {
	lr, ok := d.a.svc.rooms.Get(d.roomID)
	if !ok {
		d.a.svc.node.Kick() // not claimed yet
		return nil
	}
	snap, err := lr.Actor().Snapshot(ctx)
	if err != nil {
		return err
	}
	if snap.Lot != nil && !snap.Lot.Status.Terminal() {
		return nil
	}
	next, ok, err := lr.NextPendingLot(ctx)
	if err != nil {
		return err
	}
	if !ok {
		ids, err := addLots(ctx, d.a.db, d.roomID, d.sellerID, lotSpec{count: 4, currency: "KRW",
			opening: 10_000, duration: demoLotLength.Milliseconds(), policy: "dynamic"})
		if err != nil || len(ids) == 0 {
			return fmt.Errorf("add demo lots: %w", err)
		}
		next = ids[0]
	}
	return lr.StartLot(ctx, next)
}

// broadcast publishes the test pattern into the room over the server's own
// WHIP endpoint, reconnecting whenever the session drops.
func (d *demoShow) broadcast(ctx context.Context) {
	clip, err := demoClip(ctx)
	if err != nil {
		d.a.log.Warn("demo: no test pattern, the demo room has no video", "err", err)
		return
	}
	api, err := loadtest.NewPeerAPI(d.a.cfg.SFU.LoopbackCandidates)
	if err != nil {
		d.a.log.Warn("demo: no WebRTC stack, the demo room has no video", "err", err)
		return
	}
	endpoint := "http://" + dialable(d.a.httpLn.Addr()) + "/whip/" + d.roomID
	for ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		p, err := loadtest.StartPublisher(pctx, api, endpoint, d.token, clip, nil, nil)
		cancel()
		if err != nil {
			d.a.log.Warn("demo: broadcast did not connect; retrying", "err", err)
			sleepCtx(ctx, 3*time.Second)
			continue
		}
		rctx, stop := context.WithCancel(ctx)
		go func() { // the server may drop the session; start a new one then
			for rctx.Err() == nil {
				sleepCtx(rctx, 2*time.Second)
				if !p.Connected() {
					stop()
				}
			}
		}()
		p.Run(rctx)
		stop()
		p.Close()
	}
}

// demoClip makes (once, with ffmpeg) and loads a 640×360 15 fps moving test
// pattern.
func demoClip(ctx context.Context) (*loadtest.Clip, error) {
	spec := loadtest.ClipSpec{Width: 640, Height: 360, FPS: 15, BitrateKbps: 600, GOP: 30, Seconds: 20}
	dir := filepath.Join(os.TempDir(), "bidcast-demo")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "test-pattern-640x360.h264")
	if err := loadtest.EnsureClip(ctx, path, spec); err != nil {
		return nil, fmt.Errorf("make the test pattern (is ffmpeg installed?): %w", err)
	}
	return loadtest.LoadClip(path, spec.FPS)
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

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
