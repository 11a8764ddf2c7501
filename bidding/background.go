package bidding

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/events"
	"github.com/bidcast/bidcast/internal/asynqlog"
	"github.com/bidcast/bidcast/internal/namespace"
	"github.com/bidcast/bidcast/storage"
)

// Queues of the node's background work, apart from the per-room bid queues:
// their base names, which BackgroundConfig.Namespace qualifies.
const (
	// QueueLots holds each lot's scheduled close backstop.
	QueueLots = "lots"
	// QueueNotify holds won, sold and unsold notifications.
	QueueNotify = "notify"
)

// BackgroundConfig tunes the close backstop and the notifications.
type BackgroundConfig struct {
	// NodeID is this node's name in room leases.
	NodeID string
	// Grace is the room actors' closing grace (auction.Config.Grace).
	Grace time.Duration
	// CloseMargin is how long past deadline + grace the backstop waits
	// before it decides a lot is overdue. Zero means 2 s.
	CloseMargin time.Duration
	// Concurrency is how many tasks run at once. Zero means 4.
	Concurrency int
	// Kick asks this node to claim live rooms that have no owner now.
	Kick func()
	// Restart asks this node to restart a room it owns.
	Restart func(roomID string)
	// Namespace names the lots and notify queues for this deployment
	// (internal/namespace); None keeps the names of earlier releases.
	Namespace namespace.Namespace
	// Replay, when set, is handed the lot.closed event rebuilt from the
	// stored result each time the close backstop of a lot's last deadline
	// finds the lot sold or unsold, as the notifications are queued again
	// then: the webhook trigger, whose queueing is idempotent per lot. Like
	// any events.Subscriber it must not block.
	Replay events.Subscriber
}

// Background schedules and runs a node's lot close backstops and
// notifications as Asynq tasks. Room events reach it as an
// events.Subscriber (OnEvent), which never blocks the room; Run enqueues
// them and processes the queues.
type Background struct {
	cfg     BackgroundConfig
	rdb     redis.UniversalClient
	tasks   taskClient
	lots    *storage.Lots
	rooms   *storage.Rooms
	notes   *storage.Notifications
	log     *slog.Logger
	in      chan bgTask
	dropped atomic.Int64
}

// bgTask is one task waiting to be enqueued.
type bgTask struct {
	task *asynq.Task
	opts []asynq.Option
}

// closePayload is the close backstop's task body.
type closePayload struct {
	RoomID     string `json:"room_id"`
	LotID      string `json:"lot_id"`
	DeadlineMS int64  `json:"deadline_ms"`
}

// notifyPayload is a notification task's body. UserID is empty for the
// seller's notifications: the handler looks the seller up.
type notifyPayload struct {
	Kind     string `json:"kind"`
	UserID   string `json:"user_id,omitempty"`
	RoomID   string `json:"room_id"`
	LotID    string `json:"lot_id"`
	Amount   *int64 `json:"amount,omitempty"`
	Currency string `json:"currency,omitempty"`
	Key      string `json:"key"`
}

// NewBackground returns the node's background worker. It enqueues through
// the client WithTaskClient gives, or else through one of its own on rdb
// (which shares rdb's connections, so rdb's owner releases it).
func NewBackground(cfg BackgroundConfig, db *storage.DB, rdb redis.UniversalClient, log *slog.Logger, opts ...ClientOption) *Background {
	if cfg.CloseMargin == 0 {
		cfg.CloseMargin = 2 * time.Second
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 4
	}
	if cfg.Kick == nil {
		cfg.Kick = func() {}
	}
	if cfg.Restart == nil {
		cfg.Restart = func(string) {}
	}
	return &Background{cfg: cfg, rdb: rdb, tasks: newTaskClient(rdb, opts),
		lots: storage.NewLots(db), rooms: storage.NewRooms(db), notes: storage.NewNotifications(db),
		log: log, in: make(chan bgTask, 4096)}
}

var _ events.Subscriber = (*Background)(nil)

// OnEvent turns a room's published event into background tasks: a close
// backstop when a lot's clock starts, and won/sold/unsold notifications
// when a lot closes. (A bidder's outbid notification is stored with the
// batch of bids that outbid them: LotStore.CommitBatch.) It implements
// events.Subscriber and never blocks.
func (b *Background) OnEvent(roomID string, e auction.Event) {
	switch e.Type {
	case auction.EventLotStarted, auction.EventClock:
		if !e.Deadline.IsZero() {
			b.scheduleClose(roomID, e.LotID, e.Deadline)
		}
	case auction.EventLotClosed:
		b.notifyClosed(roomID, e)
	}
}

// notifyClosed queues the winner's and the seller's notifications.
func (b *Background) notifyClosed(roomID string, e auction.Event) {
	if e.Result == nil {
		return
	}
	r := e.Result
	stamp := fmt.Sprintf("%s:%d", e.LotID, r.ClosedAt.UnixMilli())
	switch r.Status {
	case auction.StatusSold:
		amount := r.Price.Amount
		b.notify(notifyPayload{Kind: storage.NotifyWon, UserID: r.WinnerID, RoomID: roomID, LotID: e.LotID,
			Amount: &amount, Currency: r.Price.Currency, Key: "won:" + stamp})
		b.notify(notifyPayload{Kind: storage.NotifySold, RoomID: roomID, LotID: e.LotID,
			Amount: &amount, Currency: r.Price.Currency, Key: "sold:" + stamp})
	case auction.StatusUnsold:
		b.notify(notifyPayload{Kind: storage.NotifyUnsold, RoomID: roomID, LotID: e.LotID, Key: "unsold:" + stamp})
	}
}

// scheduleClose queues the lot's backstop for deadline + grace + margin.
// The task ID names the lot and the deadline, so one deadline is checked
// once however many events announce it.
func (b *Background) scheduleClose(roomID, lotID string, deadline time.Time) {
	body, _ := json.Marshal(closePayload{RoomID: roomID, LotID: lotID, DeadlineMS: deadline.UnixMilli()})
	b.offer(bgTask{task: asynq.NewTask(TaskCloseLot, body), opts: []asynq.Option{
		asynq.Queue(b.cfg.Namespace.Name(QueueLots)), asynq.TaskID(fmt.Sprintf("close:%s:%d", lotID, deadline.UnixMilli())),
		asynq.ProcessAt(deadline.Add(b.cfg.Grace + b.cfg.CloseMargin)), asynq.MaxRetry(30),
		asynq.Retention(time.Hour),
	}})
}

// notify queues one notification; its key is its task ID, so a repeated
// event does not queue it twice.
func (b *Background) notify(p notifyPayload) {
	body, _ := json.Marshal(p)
	b.offer(bgTask{task: asynq.NewTask(TaskNotify, body), opts: []asynq.Option{
		asynq.Queue(b.cfg.Namespace.Name(QueueNotify)), asynq.TaskID("notify:" + p.Key), asynq.MaxRetry(10), asynq.Retention(time.Hour),
	}})
}

// offer hands a task to Run without blocking; when the buffer is full the
// task is dropped and counted (the room's own clock still closes lots).
func (b *Background) offer(t bgTask) {
	select {
	case b.in <- t:
	default:
		if b.dropped.Add(1)%1000 == 1 {
			b.log.Warn("background tasks dropped: the queue buffer is full", "dropped", b.dropped.Load())
		}
	}
}

// Dropped is how many tasks were dropped because the buffer was full.
func (b *Background) Dropped() int64 { return b.dropped.Load() }

// Run enqueues what OnEvent offers and processes the lots and notify
// queues (and those of releases before namespaces) until ctx is done.
func (b *Background) Run(ctx context.Context) error {
	srv := asynq.NewServerFromRedisClient(b.rdb, asynq.Config{
		Concurrency: b.cfg.Concurrency,
		Queues:      b.cfg.Namespace.Queues(map[string]int{QueueLots: 2, QueueNotify: 1}),
		RetryDelayFunc: func(n int, _ error, t *asynq.Task) time.Duration {
			if t.Type() == TaskCloseLot {
				return 2 * time.Second
			}
			return min(time.Duration(1<<min(n, 10))*time.Second, 5*time.Minute)
		},
		Logger:   asynqlog.New(b.log),
		LogLevel: asynq.WarnLevel,
	})
	mux := asynq.NewServeMux()
	mux.HandleFunc(TaskCloseLot, b.handleClose)
	mux.HandleFunc(TaskNotify, b.handleNotify)
	if err := srv.Start(mux); err != nil {
		return fmt.Errorf("start background worker: %w", err)
	}
	defer srv.Shutdown()
	// Several enqueuers, so a burst of outbid notifications does not wait
	// behind one Redis round trip at a time.
	var wg sync.WaitGroup
	for range enqueuers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.enqueueLoop(ctx)
		}()
	}
	wg.Wait()
	return nil
}

// enqueuers is how many goroutines move offered tasks into Asynq.
const enqueuers = 8

// enqueueLoop enqueues offered tasks until ctx is done.
func (b *Background) enqueueLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case t := <-b.in:
			ectx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := b.tasks.client.EnqueueContext(ectx, t.task, t.opts...)
			cancel()
			if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) && ctx.Err() == nil {
				b.log.Warn("queueing background task failed", "type", t.task.Type(), "err", err)
			}
		}
	}
}
