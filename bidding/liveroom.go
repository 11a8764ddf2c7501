package bidding

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/events"
	"github.com/bidcast/bidcast/storage"
)

// RoomsConfig tunes the rooms a node runs.
type RoomsConfig struct {
	// Pipeline tunes each room's bid intake.
	Pipeline PipelineConfig
	// Actor is the template of each room actor's configuration; RoomID,
	// SellerID and EventSeqStart are filled in per room.
	Actor auction.Config
	// Clock is the actors' clock; nil means the system clock.
	Clock auction.Clock
	// Subscriber, when set, sees every public room event after it is
	// published (notifications, webhooks on lot.closed, the demo's
	// autopilot). It runs on the room's publisher goroutine and must not
	// block (see events.Subscriber).
	Subscriber events.Subscriber
	// Aliases names bidders in published events and snapshots; nil means
	// events.NewAliases(nil), a random key good for one process only.
	Aliases *events.Aliases
	// OnBroken, when set, is asked to restart a room whose actor fell
	// behind Postgres (the node stops it and claims it again).
	OnBroken func(roomID string)
	// Commits, when set (and running), commits the rooms' bid batches
	// together with other rooms' (storage.CommitGroup); nil commits each
	// alone.
	Commits *storage.CommitGroup
}

// Rooms starts and tracks the live rooms this node owns: each is a room
// actor restored from Postgres, its event publisher, and its bid pipeline.
// It implements RoomRunner.
type Rooms struct {
	cfg      RoomsConfig
	db       *storage.DB
	rooms    *storage.Rooms
	lots     *storage.Lots
	bids     *storage.Bids
	rdb      redis.UniversalClient
	evlog    events.Log
	outcomes *Outcomes
	log      *slog.Logger

	mu   sync.Mutex
	live map[string]*LiveRoom
}

// NewRooms returns the room runner of a node.
func NewRooms(cfg RoomsConfig, db *storage.DB, rdb redis.UniversalClient, evlog events.Log, outcomes *Outcomes,
	log *slog.Logger) *Rooms {
	if cfg.Clock == nil {
		cfg.Clock = auction.SystemClock{}
	}
	if cfg.Aliases == nil {
		cfg.Aliases = events.NewAliases(nil)
	}
	return &Rooms{cfg: cfg, db: db, rooms: storage.NewRooms(db), lots: storage.NewLots(db).Grouped(cfg.Commits),
		bids: storage.NewBids(db),
		rdb:  rdb, evlog: evlog, outcomes: outcomes, log: log, live: map[string]*LiveRoom{}}
}

// Get returns the running room with the given ID, if this node runs it.
func (m *Rooms) Get(roomID string) (*LiveRoom, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.live[roomID]
	return r, ok
}

// StartRoom implements RoomRunner: it restores the room's actor from
// Postgres (its active lot, or its last ended one so it can be relisted),
// starts it, and starts the room's bid pipeline, which first applies every
// bid sequenced while no node ran the room.
func (m *Rooms) StartRoom(ctx context.Context, roomID string) (RunningRoom, error) {
	room, err := m.rooms.Get(ctx, roomID)
	if err != nil {
		return nil, fmt.Errorf("load room %s: %w", roomID, err)
	}
	lr := &LiveRoom{id: roomID, sellerID: room.SellerID, m: m, currencies: map[string]string{},
		log: m.log.With("room", roomID)}
	lr.touch()
	acfg := m.cfg.Actor
	acfg.RoomID, acfg.SellerID = roomID, room.SellerID
	// Above any sequence an earlier owner can have used (see auction.Config).
	acfg.EventSeqStart = time.Now().UnixMilli() * 1000
	if acfg.Drained == nil {
		// A lot closes only once the pipeline has decided every bid
		// received before its deadline, however long the backlog.
		acfg.Drained = lr.drained
	}
	// The publisher, actor and pipeline name the room on each line
	// themselves, so they get the unscoped logger (lr.log would say room=
	// twice).
	lr.pub = newPublisher(roomID, m.evlog, m.cfg.Aliases, m.log, m.cfg.Subscriber)
	token, err := claimToken(ctx, roomID)
	if err != nil {
		return nil, err
	}
	store := NewLotStore(m.lots, roomID, token, lr.currency)
	store.stages, lr.pub.stages, lr.store = m.cfg.Pipeline.Stages, m.cfg.Pipeline.Stages, store
	store.diverged = lr.broken
	if lr.actor, err = auction.NewRoom(acfg, m.cfg.Clock, store, lr.pub, m.log); err != nil {
		return nil, fmt.Errorf("room %s: %w", roomID, err)
	}
	if err := lr.restore(ctx); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	lr.cancel, lr.done = cancel, make(chan struct{})
	go func() {
		defer close(lr.done)
		_ = lr.actor.Run(runCtx)
	}()
	lr.pub.snapshot = lr.actor.Snapshot
	go lr.pub.run()
	applier := &roomApplier{room: lr}
	lr.pipeline, err = StartPipeline(ctx, roomID, m.rdb, applier, m.outcomes, NewBidArchive(m.bids), m.cfg.Pipeline, m.log)
	if err != nil {
		lr.stopActor()
		return nil, err
	}
	lr.drainer.Store(lr.pipeline)
	m.mu.Lock()
	m.live[roomID] = lr
	m.mu.Unlock()
	return lr, nil
}

// LiveRoom is one running room on the node that owns it.
type LiveRoom struct {
	id       string
	sellerID string
	m        *Rooms
	actor    *auction.Room
	pub      *publisher
	store    *LotStore
	pipeline *Pipeline
	log      *slog.Logger
	cancel   context.CancelFunc
	done     chan struct{}
	stopOnce sync.Once
	brokeOne sync.Once

	mu         sync.Mutex
	currencies map[string]string // lot → currency, for audit rows
	// drainer is the pipeline once started, for the actor's goroutine.
	drainer atomic.Pointer[Pipeline]
	// active is the room clock's Unix nanoseconds of the room's last
	// claim, batch of bids or seller command (touch), for parking.
	active atomic.Int64
}

// drained is the actor's Config.Drained: a lot closes only once the
// pipeline has decided every bid received before its deadline. Until the
// pipeline has started (it starts right after the actor) the answer is no.
func (r *LiveRoom) drained(ctx context.Context, deadline time.Time) (bool, error) {
	p := r.drainer.Load()
	if p == nil {
		return false, nil
	}
	return p.Drained(ctx, deadline)
}

// ID returns the room's ID.
func (r *LiveRoom) ID() string { return r.id }

// Actor returns the room actor, to send it commands.
func (r *LiveRoom) Actor() *auction.Room { return r.actor }

// restore loads the active lot (or the last ended one) into the actor.
func (r *LiveRoom) restore(ctx context.Context) error {
	lot, ok, err := r.m.lots.Active(ctx, r.id)
	if err != nil {
		return fmt.Errorf("load active lot of room %s: %w", r.id, err)
	}
	if !ok {
		all, err := r.m.lots.ListByRoom(ctx, r.id)
		if err != nil {
			return fmt.Errorf("load lots of room %s: %w", r.id, err)
		}
		for i := len(all) - 1; i >= 0; i-- {
			if auction.LotStatus(all[i].State).Terminal() {
				lot, ok = all[i], true
				break
			}
		}
	}
	if !ok {
		return nil
	}
	var res *storage.LotResult
	if auction.LotStatus(lot.State).Terminal() {
		got, err := r.m.lots.GetResult(ctx, lot.ID)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("load result of lot %s: %w", lot.ID, err)
		}
		if err == nil {
			res = &got
		}
	}
	al, err := LotFromStorage(lot)
	if err != nil {
		return fmt.Errorf("restore room %s: %w", r.id, err)
	}
	st, err := StateFromStorage(r.id, lot, res)
	if err != nil {
		return fmt.Errorf("restore room %s: %w", r.id, err)
	}
	r.remember(lot)
	if err := r.actor.Restore(al, st); err != nil {
		return fmt.Errorf("restore room %s: %w", r.id, err)
	}
	r.log.Info("room restored", "lot", lot.ID, "state", lot.State, "version", lot.Version)
	return nil
}

// StartLot loads a pending lot of the room from Postgres and starts it.
func (r *LiveRoom) StartLot(ctx context.Context, lotID string) error {
	l, err := r.m.lots.Get(ctx, lotID)
	if err != nil {
		return fmt.Errorf("load lot %s: %w", lotID, err)
	}
	if l.RoomID != r.id {
		return fmt.Errorf("lot %s is not in room %s: %w", lotID, r.id, storage.ErrNotFound)
	}
	al, err := LotFromStorage(l)
	if err != nil {
		return err
	}
	r.remember(l)
	return r.actor.StartLot(ctx, al)
}

// NextPendingLot returns the first pending lot of the room in queue order.
func (r *LiveRoom) NextPendingLot(ctx context.Context) (string, bool, error) {
	all, err := r.m.lots.ListByRoom(ctx, r.id)
	if err != nil {
		return "", false, err
	}
	for _, l := range all {
		if l.State == string(auction.StatusPending) {
			return l.ID, true, nil
		}
	}
	return "", false, nil
}

// LotRunning reports whether the room's actor has a lot that has not
// ended (live, paused or closing).
func (r *LiveRoom) LotRunning(ctx context.Context) (bool, error) {
	snap, err := r.actor.Snapshot(ctx)
	if err != nil {
		return false, fmt.Errorf("snapshot of room %s: %w", r.id, err)
	}
	return snap.Lot != nil && !snap.Lot.Status.Terminal(), nil
}

func (r *LiveRoom) remember(l storage.Lot) {
	r.mu.Lock()
	r.currencies[l.ID] = l.Currency
	r.mu.Unlock()
}

func (r *LiveRoom) currency(lotID string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.currencies[lotID]
}

// broken asks for the room to be restarted from Postgres, once.
func (r *LiveRoom) broken() {
	r.brokeOne.Do(func() {
		r.log.Error("room actor disagrees with the stored lot (a commit whose answer was lost?); restarting the room")
		if r.m.cfg.OnBroken != nil {
			go r.m.cfg.OnBroken(r.id)
		}
	})
}

// Stop implements RunningRoom: the pipeline stops taking bids, the actor
// stops, and queued events are published.
func (r *LiveRoom) Stop() {
	r.stopOnce.Do(func() {
		r.m.mu.Lock()
		if r.m.live[r.id] == r {
			delete(r.m.live, r.id)
		}
		r.m.mu.Unlock()
		if r.pipeline != nil {
			r.pipeline.Stop()
		}
		r.stopActor()
	})
}

func (r *LiveRoom) stopActor() {
	if r.cancel != nil {
		r.cancel()
		<-r.done
	}
	r.pub.close()
}
