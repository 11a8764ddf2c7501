package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/bidcast/bidcast/api"
	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/auth"
	"github.com/bidcast/bidcast/bidding"
	"github.com/bidcast/bidcast/cluster"
	"github.com/bidcast/bidcast/demo"
	"github.com/bidcast/bidcast/events"
	"github.com/bidcast/bidcast/media"
	"github.com/bidcast/bidcast/signaling"
	"github.com/bidcast/bidcast/storage"
)

// services are the parts of the server above the stores: sign-in, the bid
// pipeline and room actors, the WebSocket gateway and the JSON API.
type services struct {
	auth *auth.Service
	// commits commits the bid batches of this node's rooms together.
	commits *storage.CommitGroup
	events  *events.RedisLog
	// feed hands every room event this node publishes to its subscribers:
	// notifications, the webhook trigger and the demo's autopilot.
	feed     *events.Feed
	outcomes *bidding.Outcomes
	ingress  *bidding.Ingress
	rooms    *bidding.Rooms
	node     *bidding.Node
	gateway  *signaling.Gateway
	api      http.Handler
	apiCfg   api.Config
	apiDeps  api.Deps
	tasks    *asynq.Client
	// background runs lot close backstops and notifications.
	background *bidding.Background
	// demo is the demo room (DEMO=true), nil otherwise.
	demo *demo.Room
	// media takes item uploads and processes them.
	media *media.Service
	// thumbs makes the lobby's live thumbnails of the rooms this node's SFU
	// carries.
	thumbs *media.LiveThumbs
	// webhooks queues the lot.closed webhook of each lot that ends.
	webhooks *api.WebhookTrigger

	// admission applies the per-client limits to WHIP and WHEP offers.
	admission *auth.MediaAdmission
	// cluster announces this node and its media in Redis and tells the
	// SFU where rooms published elsewhere come from.
	cluster *cluster.Registry
	// bidStages times each stage of the bid pipeline, for /metrics.
	bidStages *bidding.Stages
}

// wire builds every service over the connected stores.
func (a *App) wire() error {
	s := &services{}
	authCfg, err := auth.ConfigFromEnv(a.cfg.getenv)
	if err != nil {
		return usageError{Err: fmt.Errorf("auth settings: %w", err)}
	}
	authCfg.PublicURL, authCfg.RateLimit.ClientIP = a.cfg.PublicURL, a.cfg.ClientIP
	users, rooms := storage.NewUsers(a.db), storage.NewRooms(a.db)
	if s.auth, err = auth.NewService(authCfg, users, a.redis, a.log.With("component", "auth"), auth.WithRooms(rooms)); err != nil {
		return usageError{Err: err}
	}

	// Bidders are named to other viewers by a per-room alias keyed from the
	// token signing key, so every node (and a restarted one) agrees on it.
	aliases := events.NewAliases(authCfg.JWTKey)
	s.events = events.NewRedisLog(a.redis)
	s.feed = &events.Feed{}
	s.outcomes = bidding.NewOutcomes(a.redis, bidding.NewBidArchive(storage.NewBids(a.db)))
	// The process's one Asynq client: every part that enqueues borrows it,
	// and only closeServices closes it, after them.
	s.tasks = asynq.NewClientFromRedisClient(a.redis)
	s.bidStages = bidding.NewStages()
	s.commits = storage.NewCommitGroup(a.db, storage.CommitGroupConfig{})
	s.rooms = bidding.NewRooms(bidding.RoomsConfig{
		Commits:    s.commits,
		Pipeline:   bidding.PipelineConfig{TaskCheckInterval: a.cfg.BidPollInterval, Stages: s.bidStages},
		Actor:      auction.Config{Grace: a.cfg.LotGrace},
		Subscriber: s.feed,
		Aliases:    aliases,
		OnBroken:   func(roomID string) { s.node.Restart(roomID) },
	}, a.db, a.redis, s.events, s.outcomes, a.log.With("component", "auction"))
	if s.cluster, err = newClusterRegistry(a); err != nil {
		return usageError{Err: err}
	}
	// Presence asks the gateway, made below with the node as its waker.
	presence := &roomPresence{cluster: s.cluster}
	if s.node, err = bidding.NewNode(bidding.NodeConfig{NodeID: a.cfg.NodeID, LeaseTTL: a.cfg.LeaseTTL, Namespace: a.ns,
		Fences: storage.NewFences(a.db), Parking: bidding.ParkConfig{Store: rooms, Presence: presence,
			After: a.cfg.RoomParkAfter, AbandonAfter: a.cfg.RoomAbandonAfter,
			OnEnded: func(ctx context.Context, roomID string) {
				if err := s.events.Retire(ctx, roomID, time.Hour); err != nil {
					a.log.Warn("retiring an ended room's event log failed", "room", roomID, "err", err)
				}
			}}}, a.redis, rooms, s.rooms,
		a.log.With("component", "node")); err != nil {
		return usageError{Err: err}
	}
	s.ingress = bidding.NewIngress(a.redis, s.outcomes, bidding.IngressConfig{Waker: s.node, Local: s.node, Stages: s.bidStages,
		BannedSet: signaling.BannedKey})
	mod := signaling.NewRedisModeration(a.redis)
	wsAuth := signaling.AuthService{Svc: s.auth} // who connects, bids, watches
	wsCfg := a.cfg.WS
	wsCfg.OriginPatterns, wsCfg.NodeID, wsCfg.ClientIP = a.cfg.WSOrigins, a.cfg.NodeID, a.cfg.ClientIP
	s.gateway, err = signaling.New(wsCfg, signaling.Deps{
		Auth: wsAuth, Rooms: signaling.StorageRooms{Rooms: rooms}, Redis: a.redis,
		Events: s.events, Moderation: mod, Bids: gatewayBids{in: s.ingress},
		Commander: sellerCommands{bidding.NewCommands(s.rooms, s.node, mod, s.events)},
		Media:     signaling.SFUMedia{SFU: a.sfu}, Aliases: aliases, Log: a.log,
		BidGrant: wsAuth, Views: wsAuth, Identities: wsAuth, Placer: s.cluster.SFU(), Waker: s.node,
	})
	if err != nil {
		return usageError{Err: fmt.Errorf("WebSocket gateway: %w", err)}
	}
	presence.gateway = s.gateway

	mcfg, err := media.LoadConfig(a.cfg.getenv)
	if err != nil {
		return usageError{Err: fmt.Errorf("media: %w", err)}
	}
	if s.media, err = media.NewService(mcfg, a.db, a.redis, a.log.With("component", "media"),
		media.WithTaskClient(s.tasks), media.WithNamespace(a.ns)); err != nil {
		return usageError{Err: fmt.Errorf("media: %w", err)}
	}
	s.thumbs = &media.LiveThumbs{Source: a.sfu, Redis: a.redis, FFmpegPath: mcfg.FFmpegPath,
		Log: a.log.With("component", "thumbs")}
	s.apiCfg = api.Config{RateLimit: api.RateLimitConfig{Disabled: a.cfg.APIRateLimitOff, ClientIP: a.cfg.ClientIP},
		Webhooks: api.WebhookConfig{Namespace: a.ns}}
	s.apiDeps = api.Deps{DB: a.db, Auth: api.AuthService{Svc: s.auth}, Redis: a.redis, Log: a.log.With("component", "api"),
		Media: s.media, Views: api.AuthService{Svc: s.auth}, Aliases: aliases, Tasks: s.tasks,
		Cluster: s.cluster}
	if s.api, err = api.New(s.apiCfg, s.apiDeps); err != nil {
		return usageError{Err: fmt.Errorf("JSON API: %w", err)}
	}
	mediaLimits := a.cfg.Media
	mediaLimits.ClientIP = a.cfg.ClientIP
	s.admission = auth.NewMediaAdmission(mediaLimits, a.redis, s.auth, a.log.With("component", "media-limits"))
	s.webhooks = api.NewWebhookTrigger(s.tasks, a.log.With("component", "webhooks"),
		asynq.Queue(a.ns.Name(api.DefaultWebhookQueue)))
	s.background = bidding.NewBackground(bidding.BackgroundConfig{NodeID: a.cfg.NodeID, Grace: a.cfg.LotGrace, Namespace: a.ns,
		Kick: func() { s.node.Kick() }, Restart: func(roomID string) { s.node.Restart(roomID) }, Replay: s.webhooks},
		a.db, a.redis, a.log.With("component", "background"), bidding.WithTaskClient(s.tasks))
	s.feed.Subscribe(s.background)
	s.feed.Subscribe(s.webhooks)
	if a.cfg.Demo {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if s.demo, err = demo.NewRoom(ctx, a.db, demo.RoomConfig{PublicURL: a.cfg.PublicURL, HTTPAddr: a.httpLn.Addr(),
			Loopback: a.cfg.SFU.LoopbackCandidates, Welcome: os.Stderr}, s.rooms, s.node, a.log.With("component", "demo")); err != nil {
			return fmt.Errorf("seed the demo room: %w", err)
		}
		s.feed.Subscribe(s.demo.Pilot)
	}
	a.svc = s
	return nil
}

// startWorkers runs the node (room ownership, actors, pipelines), the
// background worker (close backstops, notifications), the webhook trigger
// and worker, the media worker and the demo room until stop is called. A
// worker's error is logged unless stopping caused it.
func (a *App) startWorkers() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	run := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil && ctx.Err() == nil {
				a.log.Error(name+" stopped", "err", err)
			}
		}()
	}
	s := a.svc
	run("bid commit group", s.commits.Run)
	run("node", s.node.Run)
	run("cluster registry", s.cluster.Run)
	run("webhook trigger", func(ctx context.Context) error { s.webhooks.Run(ctx); return nil })
	run("media worker", s.media.RunWorker)
	run("live thumbnails", func(ctx context.Context) error { s.thumbs.Run(ctx); return nil })
	run("background worker", s.background.Run)
	run("webhook worker", func(ctx context.Context) error { return api.RunWebhookWorker(ctx, s.apiCfg, s.apiDeps) })
	if s.demo != nil {
		run("demo", func(ctx context.Context) error { s.demo.Run(ctx); return nil })
	}
	return func() {
		cancel()
		wg.Wait()
	}
}

// closeServices releases what wire made; safe on a partly wired App.
func (a *App) closeServices() {
	s := a.svc
	if s == nil {
		return
	}
	if s.gateway != nil {
		_ = s.gateway.Close()
	}
	if s.admission != nil {
		s.admission.Close()
	}
	if s.tasks != nil {
		_ = s.tasks.Close()
	}
}
