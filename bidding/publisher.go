package bidding

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/events"
)

// publisherBuffer bounds the events a room holds while Redis is slow (see
// pubQueue). The actor never blocks on it; past it events are dropped and a
// room.state event resynchronizes clients.
const publisherBuffer = 8192

// A busy room stores its snapshot with at most one batch of events in
// snapshotEvery, or sooner once snapshotMaxEvents went out without one; a
// room gone quiet stores it snapshotEvery after its last. Joining clients
// get the stored snapshot and then the events after it (signaling), so
// these bound that replay, while a storm no longer builds, encodes and
// stores a snapshot (a few KiB with the bid history) for every batch.
// Every snapshotCheck the owner also makes sure Redis still has the
// snapshot it stored last: a Redis restarted without its last second of
// writes (appendfsync everysec) may have lost it.
const (
	snapshotEvery     = 250 * time.Millisecond
	snapshotMaxEvents = 256
	snapshotCheck     = 5 * time.Second
)

// pubItem is one event waiting to be published; to is set for an event
// private to one user.
type pubItem struct {
	ev auction.Event
	to string
	at time.Time // when the actor emitted it (StagePublishWait)
}

// publisher is a room's auction.EventSink. Emit queues without blocking;
// one goroutine publishes to the room's event log in order, attaching the
// actor's snapshot to the last event of a batch now and then (see
// snapshotEvery), and storing it alone once the room goes quiet, so the
// stored snapshot is never more than a short replay behind the log.
type publisher struct {
	roomID   string
	log      events.Log
	aliases  *events.Aliases
	snapshot func(ctx context.Context) (auction.Snapshot, error)
	// sub sees each public event once it is in the log; nil for none.
	sub    events.Subscriber
	logger *slog.Logger
	stages *Stages // nil records nothing

	queue   *pubQueue
	dropped atomic.Bool
	done    chan struct{}
	stop    sync.Once
	quit    chan struct{}

	// triggers are the current lot's accepted bids by bid_id, so the public
	// snapshot shows a proxy bid at the time of the bid that made it.
	// Owned by run.
	triggers map[string]trigger

	// The stored snapshot, owned by run: when it was taken, how many
	// events went out since, and whether any did.
	snapEvery     time.Duration // snapshotEvery; tests change them
	snapMaxEvents int           // snapshotMaxEvents
	snapCheck     time.Duration // snapshotCheck
	lastSnap      time.Time
	sinceSnap     int
	snapBehind    bool
	storedSeq     int64 // the seq the stored snapshot is current as of, 0 if unknown
}

// trigger is when a bid that may have made proxy bids was received.
type trigger struct {
	seq int64
	at  time.Time
}

func newPublisher(roomID string, log events.Log, aliases *events.Aliases, logger *slog.Logger,
	sub events.Subscriber) *publisher {
	return &publisher{roomID: roomID, log: log, aliases: aliases, logger: logger, sub: sub,
		queue: newPubQueue(), done: make(chan struct{}), quit: make(chan struct{}),
		triggers: map[string]trigger{}, snapEvery: snapshotEvery, snapMaxEvents: snapshotMaxEvents,
		snapCheck: snapshotCheck}
}

// Emit implements auction.EventSink. The actor emits a bid's event only
// after the bid's decision is committed (DecideBids), so a rejection goes
// out too, to its bidder alone.
func (p *publisher) Emit(e auction.Event) {
	p.logEvent(e)
	it := pubItem{ev: e, at: time.Now()}
	if e.Type == auction.EventBidRejected && e.Bid != nil {
		it.to = e.Bid.BidderID
	}
	if !p.queue.push(it) {
		p.dropped.Store(true)
	}
}

// logEvent writes the one info line of a lot's start and close, so an
// operator can follow a show from the log alone.
func (p *publisher) logEvent(e auction.Event) {
	switch e.Type {
	case auction.EventLotStarted:
		p.logger.Info("lot started", "room", p.roomID, "lot", e.LotID, "deadline", e.Deadline)
	case auction.EventLotClosed:
		p.logger.Info("lot closed", "room", p.roomID, "lot", e.LotID, "result", e.Status,
			"price", e.HighBid.Amount, "currency", e.Currency, "winner", e.LeaderID)
	}
}

// run publishes until close; then it drains what is queued, bounded by a
// short deadline, so events of a stopping room are not silently lost.
func (p *publisher) run() {
	defer close(p.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Once told to stop, allow a short drain, then give up on Redis.
		<-p.quit
		t := time.NewTimer(2 * time.Second)
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-p.done:
		}
	}()
	batch := make([]pubItem, 0, 256)
	catchUp := time.NewTimer(time.Hour)
	catchUp.Stop()
	defer catchUp.Stop()
	check := time.NewTicker(p.snapCheck)
	defer check.Stop()
	for {
		var due <-chan time.Time
		if p.snapBehind {
			catchUp.Reset(time.Until(p.lastSnap.Add(p.snapEvery)))
			due = catchUp.C
		}
		select {
		case <-p.queue.ready:
		case <-due:
			p.storeSnapshot(ctx)
			continue
		case <-check.C:
			p.checkSnapshot(ctx)
			continue
		case <-p.quit:
			p.drain(ctx)
			if p.snapBehind {
				p.storeSnapshot(ctx)
			}
			return
		}
		if batch = p.queue.take(batch[:0], cap(batch)); len(batch) > 0 {
			p.publishBatch(ctx, batch)
		}
	}
}

// drain publishes whatever is still queued.
func (p *publisher) drain(ctx context.Context) {
	batch := make([]pubItem, 0, 256)
	for {
		if batch = p.queue.take(batch[:0], cap(batch)); len(batch) == 0 {
			return
		}
		p.publishBatch(ctx, batch)
	}
}

// publishBatch publishes the batch in order, retrying while Redis is down:
// every copy of every event (see copiesOf) and the outbid notices, in one
// round trip when the log can take a batch, with the actor's snapshot
// attached to the last when one is due (snapshotDue). Then the subscriber
// sees the public events.
func (p *publisher) publishBatch(ctx context.Context, batch []pubItem) {
	start := time.Now()
	if !batch[0].at.IsZero() {
		p.stages.Observe(StagePublishWait, start.Sub(batch[0].at))
	}
	for _, it := range batch {
		p.noteTrigger(it.ev)
	}
	evs := make([]events.Event, 0, 2*len(batch))
	for _, it := range batch {
		evs = p.render(evs, it)
	}
	var snap any
	if p.snapshotDue(start, len(evs)) {
		snapStart := time.Now()
		snap = p.publicSnapshot(ctx)
		p.stages.since(StageSnapshot, snapStart)
	}
	pubStart := time.Now()
	last := p.publishAll(ctx, evs, snap)
	p.noteSnapshot(start, snap != nil, len(evs), last)
	if p.stages != nil {
		now := time.Now()
		p.stages.Observe(StagePublish, now.Sub(pubStart))
		for _, it := range batch {
			if b := it.ev.Bid; b != nil && (it.ev.Type == auction.EventBidAccepted || it.ev.Type == auction.EventBidRejected) {
				p.stages.Observe(StageDecided, now.Sub(b.ReceivedAt))
			}
		}
	}
	if p.sub != nil {
		for _, it := range batch {
			if it.to == "" {
				p.sub.OnEvent(p.roomID, it.ev)
			}
		}
	}
	if p.dropped.CompareAndSwap(true, false) && snap != nil {
		p.logger.Warn("room events were dropped; sending a full state", "room", p.roomID)
		data, _ := json.Marshal(snap)
		if seq := p.publishRaw(ctx, events.Event{Type: events.TypeRoomState, RoomID: p.roomID, At: time.Now(), Data: data}, snap); seq > 0 {
			p.storedSeq = seq
		}
	}
}

// publishAll publishes evs in order, the snapshot with the last: in
// batches when the log takes them, retrying the rest after a failure. It
// returns the last one's seq (0 if it gave up).
func (p *publisher) publishAll(ctx context.Context, evs []events.Event, snap any) int64 {
	var last int64
	bl, ok := p.log.(events.BatchLog)
	if !ok {
		for i, ev := range evs {
			var attach any
			if i == len(evs)-1 {
				attach = snap
			}
			last = p.publishRaw(ctx, ev, attach)
		}
		return last
	}
	wait := 20 * time.Millisecond
	for attempt := 1; len(evs) > 0; attempt++ {
		n, seq, err := bl.PublishBatch(ctx, evs, snap)
		if n > 0 {
			last = seq
		}
		evs = evs[n:]
		if err == nil {
			return last
		}
		if ctx.Err() != nil {
			p.logger.Error("room events lost: publisher stopped while Redis was failing", "room", p.roomID,
				"events", len(evs), "err", err)
			return 0
		}
		if attempt == 1 || attempt%20 == 0 {
			p.logger.Warn("publishing room events failed; retrying", "room", p.roomID, "events", len(evs),
				"attempt", attempt, "err", err)
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
		wait = min(wait*2, time.Second)
	}
	return last
}

// noteTrigger remembers the current lot's accepted bids for findTrigger.
func (p *publisher) noteTrigger(e auction.Event) {
	switch {
	case e.Type == auction.EventLotStarted:
		clear(p.triggers)
	case e.Type == auction.EventBidAccepted && e.Bid != nil:
		p.triggers[e.Bid.ID] = trigger{seq: e.Bid.Seq, at: e.Bid.ReceivedAt}
	}
}

func (p *publisher) findTrigger(bidID string) (int64, time.Time, bool) {
	t, ok := p.triggers[bidID]
	return t.seq, t.at, ok
}

// render appends to evs the copies of it each audience may see (see
// copiesOf) and, for a bid.accepted that took the lead from someone (as the
// actor saw it), that user's private bid.outbid.
func (p *publisher) render(evs []events.Event, it pubItem) []events.Event {
	at := it.ev.At
	if at.IsZero() {
		at = time.Now()
	}
	for _, c := range copiesOf(it.ev, it.to, p.roomID, p.aliases) {
		data, err := json.Marshal(c.ev)
		if err != nil {
			p.logger.Error("encode room event", "room", p.roomID, "type", it.ev.Type, "err", err)
			return evs
		}
		evs = append(evs, events.Event{Type: it.ev.Type, RoomID: p.roomID, At: at, To: c.to, Except: c.except,
			Data: data})
	}
	e := it.ev
	if it.to == "" && e.Type == auction.EventBidAccepted && e.PrevLeaderID != "" && e.PrevLeaderID != e.LeaderID {
		out := auction.Event{Type: events.TypeBidOutbid, RoomID: e.RoomID, LotID: e.LotID, At: e.At,
			Status: e.Status, HighBid: e.HighBid, LeaderID: e.LeaderID, NextMin: e.NextMin, Deadline: e.Deadline}
		evs = p.render(evs, pubItem{ev: out, to: e.PrevLeaderID})
	}
	return evs
}

func (p *publisher) publishRaw(ctx context.Context, ev events.Event, snap any) int64 {
	wait := 20 * time.Millisecond
	for attempt := 1; ; attempt++ {
		seq, err := p.log.Publish(ctx, ev, snap)
		if err == nil {
			return seq
		}
		if ctx.Err() != nil {
			p.logger.Error("room event lost: publisher stopped while Redis was failing", "room", p.roomID,
				"type", ev.Type, "err", err)
			return 0
		}
		if attempt == 1 || attempt%20 == 0 {
			p.logger.Warn("publishing room event failed; retrying", "room", p.roomID, "type", ev.Type,
				"attempt", attempt, "err", err)
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
		wait = min(wait*2, time.Second)
	}
}

// close stops run after it drains, and waits for it.
func (p *publisher) close() {
	p.stop.Do(func() { close(p.quit) })
	<-p.done
}
