package auction

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// Config tunes a room. Zero values take the defaults noted on each field.
type Config struct {
	// RoomID and SellerID identify the room and the one user who may not bid.
	RoomID   string
	SellerID string
	// Grace is how long a lot stays closing after its deadline so bids
	// received in time but still in flight are applied. Default 500 ms.
	Grace time.Duration
	// Drained, when set, is asked when a closing lot's grace (or a close
	// retry's backoff) ends: it reports whether every bid received before
	// deadline has reached the room. The bid pipeline knows what is still
	// on its way; under a backlog longer than the grace, a lot closed on
	// the grace alone would refuse bids received in time (invariant 1).
	// While Drained says no, or fails, the lot stays closing and is asked
	// again after CloseRetryMin: bids received before the deadline are
	// still accepted, later ones refused after_deadline. Nil: the grace
	// alone decides.
	Drained func(ctx context.Context, deadline time.Time) (bool, error)
	// HistoryLimit bounds the recent bids kept for snapshots. Default 20.
	HistoryLimit int
	// CommandBuffer is the command channel's capacity; callers wait (within
	// their context) when it is full. Default 16.
	CommandBuffer int
	// StoreTimeout bounds each Store call. Default 5 s.
	StoreTimeout time.Duration
	// CloseRetryMin and CloseRetryMax bound the backoff between attempts to
	// commit a lot's close. Defaults 100 ms and 5 s.
	CloseRetryMin time.Duration
	CloseRetryMax time.Duration
	// EventSeqStart is the Seq before the room's first event. A node that
	// restores a room should pass a value above any Seq the previous owner
	// can have used (for example the restore time in Unix milliseconds
	// times 1000), so sequences keep increasing across owners and a client
	// sees a gap, not a repeat, and resynchronizes from a snapshot.
	EventSeqStart int64
}

// Validate checks the configuration after defaults are applied.
func (c *Config) Validate() error {
	switch {
	case c.RoomID == "":
		return fmt.Errorf("%w: room has no id", ErrInvalidConfig)
	case c.SellerID == "":
		return fmt.Errorf("%w: room %s has no seller", ErrInvalidConfig, c.RoomID)
	case c.Grace < 0 || c.HistoryLimit < 0 || c.CommandBuffer < 0 || c.StoreTimeout < 0:
		return fmt.Errorf("%w: room %s: negative grace, history limit, buffer or timeout", ErrInvalidConfig, c.RoomID)
	case c.CloseRetryMin < 0 || c.CloseRetryMax < c.CloseRetryMin:
		return fmt.Errorf("%w: room %s: close retry bounds %v..%v", ErrInvalidConfig, c.RoomID, c.CloseRetryMin, c.CloseRetryMax)
	}
	return nil
}

func (c *Config) setDefaults() {
	if c.Grace == 0 {
		c.Grace = 500 * time.Millisecond
	}
	if c.HistoryLimit == 0 {
		c.HistoryLimit = 20
	}
	if c.CommandBuffer == 0 {
		c.CommandBuffer = 16
	}
	if c.StoreTimeout == 0 {
		c.StoreTimeout = 5 * time.Second
	}
	if c.CloseRetryMin == 0 {
		c.CloseRetryMin = 100 * time.Millisecond
	}
	if c.CloseRetryMax == 0 {
		c.CloseRetryMax = 5 * time.Second
	}
}

// Room is one live show's actor. Its methods are safe for concurrent use:
// each sends a command to the goroutine running Run and waits for the
// reply, the room's end, or the caller's context. All room state below the
// marker is owned by that goroutine.
type Room struct {
	cfg     Config
	clock   Clock
	store   Store
	sink    EventSink
	log     *slog.Logger
	cmds    chan *command
	done    chan struct{}
	running atomic.Bool

	// Owned by the Run goroutine (or by the caller of Restore before Run).
	cur      *lotRun
	timer    Timer
	armedAt  time.Time // when the timer will fire; zero when disarmed
	eventSeq int64
	lastSeq  int64 // highest ingress sequence decided in this room
	hist     []BidRecord
	histPos  int
	mod      *moderation
}

// lotRun is the current lot: its rules, its committed state, and the
// actor's bookkeeping for closing.
type lotRun struct {
	lot Lot
	st  LotState
	// closeAt, while closing, is when the grace ends or the next attempt
	// to commit the close is due.
	closeAt time.Time
	backoff time.Duration
	// heldSince is when Config.Drained first held the close (zero: not
	// held); heldLogged when the hold was last logged.
	heldSince, heldLogged time.Time
	// ended marks a lot the seller ended early: bids applied during its
	// grace count but never reopen it.
	ended bool
}

// NewRoom returns a room that is not yet running; call Run. clock, store
// and sink are required; log may be nil.
func NewRoom(cfg Config, clock Clock, store Store, sink EventSink, log *slog.Logger) (*Room, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if clock == nil || store == nil || sink == nil {
		return nil, fmt.Errorf("%w: room %s needs a clock, a store and a sink", ErrInvalidConfig, cfg.RoomID)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Room{
		cfg:      cfg,
		clock:    clock,
		store:    store,
		sink:     sink,
		log:      log,
		cmds:     make(chan *command, cfg.CommandBuffer),
		done:     make(chan struct{}),
		eventSeq: cfg.EventSeqStart,
	}, nil
}

// ID returns the room's ID.
func (r *Room) ID() string { return r.cfg.RoomID }

// Done is closed when Run has returned.
func (r *Room) Done() <-chan struct{} { return r.done }

// Run is the room's goroutine: it applies commands and timer fires one at a
// time until ctx ends, then returns nil. A Room runs once; a second call
// returns ErrAlreadyRunning. A lot left live or closing when Run returns is
// resumed by restoring its stored state on the next owner.
func (r *Room) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	defer close(r.done)
	defer r.disarm()
	r.started(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case c := <-r.cmds:
			r.handle(ctx, c)
		case <-r.timerC():
			r.armedAt = time.Time{}
			r.tick(ctx, r.clock.Now())
		}
		r.rearm()
	}
}

// timerC returns the timer's channel, or nil (blocks forever) when
// disarmed.
func (r *Room) timerC() <-chan time.Time {
	if r.armedAt.IsZero() {
		return nil
	}
	return r.timer.C()
}

// wakeAt returns when the actor next has something to do on its own: the
// deadline of a live lot, or the end of a closing lot's grace or backoff.
func (r *Room) wakeAt() time.Time {
	if r.cur == nil {
		return time.Time{}
	}
	switch r.cur.st.Status {
	case StatusLive:
		return r.cur.st.Deadline
	case StatusClosing:
		return r.cur.closeAt
	}
	return time.Time{}
}

// rearm points the timer at wakeAt. The timer is created on first use, so a
// room that never runs a lot holds none.
func (r *Room) rearm() {
	at := r.wakeAt()
	if at.Equal(r.armedAt) {
		return
	}
	if at.IsZero() {
		r.disarm()
		return
	}
	d := at.Sub(r.clock.Now())
	if r.timer == nil {
		r.timer = r.clock.NewTimer(d)
	} else {
		r.timer.Reset(d)
	}
	r.armedAt = at
}

func (r *Room) disarm() {
	if r.timer != nil && !r.armedAt.IsZero() {
		r.timer.Stop()
	}
	r.armedAt = time.Time{}
}

// tick applies the transitions time has made due: a live lot past its
// deadline starts closing; a closing lot past its grace closes. Every
// command runs tick first, so a command never sees a state that time has
// already overtaken, whichever of the timer and the command the select
// picked first.
func (r *Room) tick(ctx context.Context, now time.Time) {
	c := r.cur
	if c == nil {
		return
	}
	if c.st.Status == StatusLive && !now.Before(c.st.Deadline) {
		c.st.Status = StatusClosing
		c.closeAt = now.Add(r.cfg.Grace)
		c.backoff = 0
		// Closing is not committed: a stored live lot whose deadline has
		// passed is closing by definition, and a restore treats it so.
		r.emit(now, r.lotEvent(EventLotClosing))
	}
	if c.st.Status == StatusClosing && !now.Before(c.closeAt) {
		if !r.drained(ctx, now) {
			c.closeAt = now.Add(r.cfg.CloseRetryMin)
			return
		}
		r.close(ctx, now)
	}
}

// drained asks Config.Drained whether the closing lot's bids have all
// arrived; a failure counts as no. A hold is logged when it starts and
// every 5 s while it lasts.
func (r *Room) drained(ctx context.Context, now time.Time) bool {
	c := r.cur
	if r.cfg.Drained == nil {
		return true
	}
	sctx, cancel := r.storeCtx(ctx)
	ok, err := r.cfg.Drained(sctx, c.st.Deadline)
	cancel()
	if ok && err == nil {
		if !c.heldSince.IsZero() {
			r.log.Info("lot close released: every bid received in time has arrived", "room", r.cfg.RoomID, "lot", c.lot.ID,
				"held", now.Sub(c.heldSince).Round(time.Millisecond))
			c.heldSince = time.Time{}
		}
		return true
	}
	if c.heldSince.IsZero() || now.Sub(c.heldLogged) >= 5*time.Second {
		if c.heldSince.IsZero() {
			c.heldSince = now
		}
		c.heldLogged = now
		r.log.Warn("lot close held: bids received before the deadline are still on their way", "room", r.cfg.RoomID, "lot", c.lot.ID,
			"held", now.Sub(c.heldSince).Round(time.Millisecond), "err", err)
	}
	return false
}

// storeCtx bounds a Store call.
func (r *Room) storeCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, r.cfg.StoreTimeout)
}

// emit stamps e with the room's next sequence number and hands it to the
// sink.
func (r *Room) emit(now time.Time, e Event) int64 {
	r.eventSeq++
	e.Seq = r.eventSeq
	e.RoomID = r.cfg.RoomID
	e.At = now
	r.sink.Emit(e)
	return e.Seq
}

// lotEvent returns an event of type typ describing the current lot.
func (r *Room) lotEvent(typ string) Event {
	c := r.cur
	e := Event{Type: typ, LotID: c.lot.ID, Currency: c.lot.Currency, Status: c.st.Status}
	if c.st.HasBid() {
		e.HighBid = Money{Amount: c.st.HighBid, Currency: c.lot.Currency}
		e.LeaderID = c.st.LeaderID
		e.ReserveMet = c.lot.reserveMet(c.st.HighBid)
	}
	if c.st.Status.Active() {
		if n, ok := c.lot.minNext(&c.st); ok {
			e.NextMin = Money{Amount: n, Currency: c.lot.Currency}
		}
	}
	if c.st.Status == StatusPaused {
		e.RemainingMS = c.st.RemainingMS
	} else if c.st.Status.Active() {
		e.Deadline = c.st.Deadline
	}
	e.Result = c.st.Result
	return e
}
