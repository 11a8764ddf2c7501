package bidding

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/internal/testenv"
	"github.com/bidcast/bidcast/storage"
)

// privateRedis is a Redis of the test's own: the lots and notify queues
// are shared by every worker on a Redis, and other packages' tests run
// workers on the shared one at the same time.
func privateRedis(t *testing.T) redis.UniversalClient {
	opts, err := redis.ParseURL(testenv.StartRedis(t).URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// withBackground runs a Background for the show, fed by its room events.
func withBackground(t *testing.T, cfg BackgroundConfig) func(*liveShow, *RoomsConfig) {
	return func(s *liveShow, rc *RoomsConfig) {
		cfg.Grace = rc.Actor.Grace
		bg := NewBackground(cfg, s.db, s.rdb, quietLog())
		rc.Subscriber = bg
		runUntilCleanup(t, bg.Run)
	}
}

// notificationsOf waits until the user has want notifications and returns
// their kinds, newest first.
func (s *liveShow) notificationsOf(userID string, want int) []storage.Notification {
	s.t.Helper()
	var got []storage.Notification
	waitFor(s.t, "notifications", func() bool {
		var err error
		got, err = storage.NewNotifications(s.db).ListAfter(context.Background(), userID, nil, 10)
		if err != nil {
			s.t.Fatal(err)
		}
		return len(got) >= want
	})
	return got
}

// advanceUntilClosed moves the fake clock on a second at a time until the
// lot is stored in the given final state.
func (s *liveShow) advanceUntilClosed(state string) {
	s.t.Helper()
	waitFor(s.t, "the lot to be "+state, func() bool {
		s.clock.Advance(time.Second)
		time.Sleep(20 * time.Millisecond)
		l, err := storage.NewLots(s.db).Get(context.Background(), s.lotID)
		return err == nil && l.State == state
	})
}

// TestNotificationsForOutbidWonAndSold has one bidder outbid by another and
// the lot close: the first hears they were outbid, the second that they
// won, the seller that the lot sold, each exactly once.
func TestNotificationsForOutbidWonAndSold(t *testing.T) {
	s := startLiveShowOn(t, privateRedis(t), "sudden-death", 10*time.Second, withBackground(t, BackgroundConfig{NodeID: "n1"}))
	first, second := newUUID(), newUUID()
	s.submit(0, first, 10_000)
	s.outcome(first)
	s.submit(1, second, s.nextMinimum())
	s.outcome(second)
	price := s.lot().HighBid.Amount
	s.advanceUntilClosed("sold")

	checks := []struct {
		user, kind string
		amount     int64
	}{
		{s.bidders[0], storage.NotifyOutbid, price},
		{s.bidders[1], storage.NotifyWon, price},
		{s.sellerID, storage.NotifySold, price},
	}
	for _, c := range checks {
		got := s.notificationsOf(c.user, 1)
		if len(got) != 1 || got[0].Kind != c.kind || got[0].LotID != s.lotID || got[0].Amount == nil ||
			*got[0].Amount != c.amount || got[0].Currency != "KRW" {
			t.Errorf("notifications of %s = %+v, want one %s at %d", c.kind, got, c.kind, c.amount)
		}
	}
	if got := s.notificationsOf(s.bidders[2], 0); len(got) != 0 {
		t.Errorf("a bidder who never bid got %+v", got)
	}
}

// TestCloseBackstopClaimsOverdueLot leaves a lot's room without anyone to
// close it (its clock never fires): the backstop finds the lot open past
// its deadline and asks the node to claim the room; once something closes
// the lot the backstop stops.
func TestCloseBackstopClaimsOverdueLot(t *testing.T) {
	kicked := make(chan struct{}, 10)
	s := startLiveShowOn(t, privateRedis(t), "sudden-death", time.Second, withBackground(t, BackgroundConfig{NodeID: "n1",
		CloseMargin: 100 * time.Millisecond, Kick: func() {
			select {
			case kicked <- struct{}{}:
			default:
			}
		}}))
	select {
	case <-kicked:
	case <-time.After(15 * time.Second):
		t.Fatal("the backstop never asked the node to claim the overdue room")
	}
	// What the claim does: a restored actor sees the time and closes.
	s.advanceUntilClosed("unsold")
	got := s.notificationsOf(s.sellerID, 1)
	if got[0].Kind != storage.NotifyUnsold || got[0].Amount != nil {
		t.Errorf("seller notification = %+v, want unsold without an amount", got[0])
	}
}

// TestCloseBackstopNotifiesALotClosedWithoutItsEvent: a lot sold in
// Postgres whose lot.closed event never reached the background worker (the
// node died between the commit and the event) still gets its won and sold
// notifications, from the close backstop; running it again notifies no one
// twice.
func TestCloseBackstopNotifiesALotClosedWithoutItsEvent(t *testing.T) {
	s := startLiveShowOn(t, privateRedis(t), "sudden-death", 10*time.Second) // no worker sees its events
	bid := newUUID()
	s.submit(0, bid, 10_000)
	s.outcome(bid)
	s.advanceUntilClosed("sold")
	if got := s.notificationsOf(s.bidders[0], 0); len(got) != 0 {
		t.Fatalf("notified before the backstop ran: %+v", got)
	}

	replayed := &eventRecorder{}
	bg := NewBackground(BackgroundConfig{NodeID: "n1", Replay: replayed}, s.db, s.rdb, quietLog())
	runUntilCleanup(t, bg.Run)
	ctx := context.Background()
	backstop := func(deadline time.Time) {
		body, _ := json.Marshal(closePayload{RoomID: s.roomID, LotID: s.lotID, DeadlineMS: deadline.UnixMilli()})
		if err := bg.handleClose(ctx, asynq.NewTask(TaskCloseLot, body)); err != nil {
			t.Fatal(err)
		}
	}
	insp := asynq.NewInspectorFromRedisClient(s.rdb)
	idle := func() {
		waitFor(t, "the notify queue to be idle", func() bool {
			if qs, err := insp.Queues(); err == nil && !slices.Contains(qs, QueueNotify) {
				return true // nothing was ever queued
			}
			q, err := insp.GetQueueInfo(QueueNotify)
			return err == nil && q.Pending == 0 && q.Active == 0 && q.Retry == 0 && q.Scheduled == 0
		})
	}
	deadline := *s.storedLot().Deadline
	backstop(deadline.Add(-time.Second)) // an earlier deadline's: leaves it to the last one's
	time.Sleep(100 * time.Millisecond)   // what it might have offered reaches the queue
	idle()
	if got := s.notificationsOf(s.bidders[0], 0); len(got) != 0 {
		t.Fatalf("notified by the backstop of an earlier deadline: %+v", got)
	}
	backstop(deadline)
	backstop(deadline)
	for _, c := range []struct{ user, kind string }{
		{s.bidders[0], storage.NotifyWon},
		{s.sellerID, storage.NotifySold},
	} {
		got := s.notificationsOf(c.user, 1)
		if got[0].Kind != c.kind || got[0].Amount == nil || *got[0].Amount != 10_000 {
			t.Errorf("notification of %s = %+v, want %s at 10000", c.user, got[0], c.kind)
		}
	}
	// Once the queue is idle, the second run has added nothing.
	idle()
	if got := s.notificationsOf(s.bidders[0], 1); len(got) != 1 {
		t.Errorf("the winner has %d notifications, want 1", len(got))
	}
	// Each run of the last deadline's backstop replays lot.closed (the
	// webhook trigger queues it once per lot); the earlier one's did not.
	evs := replayed.all()
	if len(evs) != 2 {
		t.Fatalf("replayed %d events, want 2", len(evs))
	}
	e := evs[0]
	if e.Type != auction.EventLotClosed || e.LotID != s.lotID || e.RoomID != s.roomID || e.Currency != "KRW" ||
		e.Result == nil || e.Result.Status != auction.StatusSold || e.Result.WinnerID != s.bidders[0] ||
		e.Result.WinningBidID != bid || e.Result.Price.Amount != 10_000 {
		t.Errorf("replayed %+v (result %+v), want lot.closed sold to bidder 0 at 10000", e, e.Result)
	}
}

// eventRecorder is an events.Subscriber that keeps what it is handed.
type eventRecorder struct {
	mu  sync.Mutex
	evs []auction.Event
}

func (r *eventRecorder) OnEvent(_ string, e auction.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, e)
}

func (r *eventRecorder) all() []auction.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.evs)
}
