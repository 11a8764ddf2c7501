package bidding

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

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
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- bg.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("background worker: %v", err)
			}
		})
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
