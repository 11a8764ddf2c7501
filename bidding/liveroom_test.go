package bidding

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/events"
	"github.com/bidcast/bidcast/storage"
	"github.com/bidcast/bidcast/storage/storagetest"
)

// liveShow is one room run end to end on the real Postgres and Redis: the
// actor restored from storage, its publisher, its pipeline and an ingress,
// all on a fake clock so deadlines are exact.
type liveShow struct {
	t        testing.TB
	clock    *auction.FakeClock
	db       *storage.DB
	rdb      redis.UniversalClient
	ingress  *Ingress
	out      *Outcomes
	room     *LiveRoom
	rooms    *Rooms
	roomID   string
	lotID    string
	bidders  []string
	sellerID string
}

// startLiveShow makes a seller, a live room with one lot of the given
// clock policy and duration, three bidders, and starts the room and lot.
// Each option may adjust the rooms' configuration first.
func startLiveShow(t testing.TB, policy string, duration time.Duration, opts ...func(*liveShow, *RoomsConfig)) *liveShow {
	t.Helper()
	return startLiveShowOn(t, testRedis(t), policy, duration, opts...)
}

// startLiveShowOn is startLiveShow on the given Redis.
func startLiveShowOn(t testing.TB, rdb redis.UniversalClient, policy string, duration time.Duration,
	opts ...func(*liveShow, *RoomsConfig)) *liveShow {
	t.Helper()
	ctx := context.Background()
	db := storagetest.New(t)
	clock := auction.NewFakeClock(time.Now().UTC().Truncate(time.Millisecond))
	users := storage.NewUsers(db)
	seller, err := users.Upsert(ctx, storage.User{Provider: "local", Subject: "s-" + newUUID(), DisplayName: "Seller",
		Role: storage.RoleSeller})
	if err != nil {
		t.Fatal(err)
	}
	room, _, err := storage.NewRooms(db).Create(ctx, storage.NewRoom{SellerID: seller.ID, Title: "Show", Public: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := storage.NewRooms(db).SetStatus(ctx, room.ID, storage.RoomLive); err != nil {
		t.Fatal(err)
	}
	item, err := storage.NewItems(db).Create(ctx, storage.Item{SellerID: seller.ID, Title: "Camera"})
	if err != nil {
		t.Fatal(err)
	}
	incs, _ := IncrementTableJSON(auction.DefaultIncrements)
	pol, _ := json.Marshal(map[string]any{"kind": policy})
	lot, err := storage.NewLots(db).Add(ctx, storage.Lot{RoomID: room.ID, ItemID: item.ID, Currency: "KRW",
		OpeningPrice: 10_000, DurationMS: duration.Milliseconds(), ClockPolicy: pol, IncrementTable: incs})
	if err != nil {
		t.Fatal(err)
	}
	s := &liveShow{t: t, clock: clock, db: db, roomID: room.ID, lotID: lot.ID}
	for i := 0; i < 3; i++ {
		u, err := users.Upsert(ctx, storage.User{Provider: "local", Subject: "b-" + newUUID(), DisplayName: "Bidder"})
		if err != nil {
			t.Fatal(err)
		}
		s.bidders = append(s.bidders, u.ID)
	}
	s.out = NewOutcomes(rdb, NewBidArchive(storage.NewBids(db)))
	s.ingress = NewIngress(rdb, s.out, IngressConfig{Now: clock.Now})
	cfg := RoomsConfig{Clock: clock, Actor: auction.Config{Grace: 500 * time.Millisecond},
		Pipeline: PipelineConfig{TaskCheckInterval: 100 * time.Millisecond}}
	s.rdb, s.sellerID = rdb, seller.ID
	for _, o := range opts {
		o(s, &cfg)
	}
	rooms := NewRooms(cfg, db, rdb, events.NewRedisLog(rdb), s.out, quietLog())
	s.rooms = rooms
	running, err := rooms.StartRoom(ctx, room.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(running.Stop)
	s.room, _ = rooms.Get(room.ID)
	if err := s.room.StartLot(ctx, lot.ID); err != nil {
		t.Fatal(err)
	}
	return s
}

// submit sends a bid and returns its receipt.
func (s *liveShow) submit(bidder int, bidID string, amount int64) Receipt {
	s.t.Helper()
	rc, err := s.ingress.Submit(context.Background(), Bid{RoomID: s.roomID, LotID: s.lotID, BidID: bidID,
		BidderID: s.bidders[bidder], Amount: amount, Currency: "KRW", Kind: KindBid})
	if err != nil {
		s.t.Fatalf("submit %s: %v", bidID, err)
	}
	return rc
}

// outcome waits until the bid one of the show's bidders sent as bidID is
// decided.
func (s *liveShow) outcome(bidID string) Outcome {
	s.t.Helper()
	var out Outcome
	waitFor(s.t, "the outcome of "+bidID, func() bool {
		for _, bidder := range s.bidders {
			if o, ok := s.decided(bidder, bidID); ok {
				out = o
				return true
			}
		}
		return false
	})
	return out
}

// outcomeOf waits until the bid the show's bidder sent as bidID is decided.
func (s *liveShow) outcomeOf(bidder int, bidID string) Outcome {
	s.t.Helper()
	var out Outcome
	waitFor(s.t, "the outcome of "+bidID, func() bool {
		o, ok := s.decided(s.bidders[bidder], bidID)
		out = o
		return ok
	})
	return out
}

// decided returns the outcome of bidderID's bidID if it is decided.
func (s *liveShow) decided(bidderID, bidID string) (Outcome, bool) {
	s.t.Helper()
	o, err := s.out.Get(context.Background(), s.roomID, bidderID, bidID)
	if err != nil && !errors.Is(err, ErrUnknownBid) {
		s.t.Fatalf("outcome of %s: %v", bidID, err)
	}
	return o, err == nil && o.Status != StatusPending
}

// TestEqualAmountsAtOnceEarlierLeads sends two bids of the same amount at
// the same moment, many times over: exactly one of each pair is accepted,
// and it is the one sequenced first.
func TestEqualAmountsAtOnceEarlierLeads(t *testing.T) {
	s := startLiveShow(t, "soft-close", 10*time.Minute)
	amount := int64(10_000)
	for round := 0; round < 10; round++ {
		var wg sync.WaitGroup
		receipts := make([]Receipt, 2)
		ids := []string{newUUID(), newUUID()}
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				receipts[i] = s.submit(i, ids[i], amount)
			}()
		}
		wg.Wait()
		a, b := s.outcome(ids[0]), s.outcome(ids[1])
		first, second := a, b
		if receipts[1].Bid.Seq < receipts[0].Bid.Seq {
			first, second = b, a
		}
		if first.Seq == second.Seq {
			t.Fatalf("round %d: both bids have seq %d", round, first.Seq)
		}
		if first.Status != StatusAccepted || second.Status != StatusRejected || second.Reason != string(auction.ReasonTooLow) {
			t.Fatalf("round %d: first (seq %d) %s/%s, second (seq %d) %s/%s; want the first accepted, the second too_low",
				round, first.Seq, first.Status, first.Reason, second.Seq, second.Status, second.Reason)
		}
		if lot := s.lot(); lot.LeaderID != first.BidderID || lot.HighBid.Amount != amount {
			t.Fatalf("round %d: leader %s at %d, want the earlier bidder %s at %d", round, lot.LeaderID,
				lot.HighBid.Amount, first.BidderID, amount)
		}
		amount = s.nextMinimum()
	}
}

// lot is the current lot as the room actor sees it.
func (s *liveShow) lot() *auction.LotView {
	s.t.Helper()
	snap, err := s.room.Actor().Snapshot(context.Background())
	if err != nil || snap.Lot == nil {
		s.t.Fatalf("snapshot: %v (lot %v)", err, snap.Lot)
	}
	return snap.Lot
}

// nextMinimum is the lowest amount the room accepts now.
func (s *liveShow) nextMinimum() int64 { return s.lot().NextMin.Amount }

// TestBidAtTheDeadlineVersusExpiry decides bids by when they were received,
// not when they are applied: a bid received just before a hard deadline
// but applied during the grace period is accepted, one received just after
// is refused as after_deadline, and the lot closes to the earlier bidder
// once the grace period ends.
func TestBidAtTheDeadlineVersusExpiry(t *testing.T) {
	s := startLiveShow(t, "sudden-death", 10*time.Second)
	deadline := s.lot().Deadline
	ctx := context.Background()

	// Received 1 ms before the deadline; the room is slow and only sees it
	// 100 ms after.
	s.clock.Set(deadline.Add(-time.Millisecond))
	inTime := newUUID()
	s.submit(0, inTime, 10_000)
	s.clock.Set(deadline.Add(100 * time.Millisecond))
	if got := s.outcome(inTime); got.Status != StatusAccepted {
		t.Fatalf("bid received before the deadline: %s/%s, want accepted", got.Status, got.Reason)
	}
	// Received 1 ms after the deadline, still inside the grace period.
	s.clock.Set(deadline.Add(time.Millisecond + 100*time.Millisecond))
	late := newUUID()
	s.submit(1, late, 20_000)
	if got := s.outcome(late); got.Status != StatusRejected || got.Reason != string(auction.ReasonAfterDeadline) {
		t.Fatalf("bid received after the deadline: %s/%s, want rejected after_deadline", got.Status, got.Reason)
	}
	// The grace period ends: the lot is sold to the in-time bidder. The
	// close may be held for a retry (the pipeline can have stored the late
	// bid's outcome before it moved its watermark past it), so the clock
	// keeps moving until the lot is sold.
	s.clock.Set(deadline.Add(time.Second))
	s.advanceUntilClosed("sold")
	res, err := storage.NewLots(s.db).GetResult(ctx, s.lotID)
	if err != nil {
		t.Fatal(err)
	}
	if res.WinnerID == nil || *res.WinnerID != s.bidders[0] || res.Price == nil || *res.Price != 10_000 {
		t.Fatalf("result = %+v, want bidder 0 at 10000", res)
	}
}

// TestOutcomeOutlivesItsRedisCopy: Redis keeps a decided outcome only for
// a while (outcomeTTL); after that Postgres answers the same.
func TestOutcomeOutlivesItsRedisCopy(t *testing.T) {
	s := startLiveShow(t, "soft-close", 10*time.Minute)
	ctx := context.Background()
	won, lost := newUUID(), newUUID()
	s.submit(0, won, 10_000)
	s.submit(1, lost, 10_000)
	want := []Outcome{s.outcomeOf(0, won), s.outcomeOf(1, lost)}
	for i, bidID := range []string{won, lost} {
		key := outcomeKey(s.bidders[i], bidID)
		if ttl := s.rdb.TTL(ctx, key).Val(); ttl <= 0 || ttl > outcomeTTL {
			t.Fatalf("outcome of %s kept %v in Redis, want at most %v", bidID, ttl, outcomeTTL)
		}
		s.rdb.Del(ctx, key)
		got, err := s.out.Get(ctx, s.roomID, s.bidders[i], bidID)
		if err != nil || got.Status != want[i].Status || got.Reason != want[i].Reason || got.Seq != want[i].Seq ||
			got.Amount != want[i].Amount || got.LotID != s.lotID {
			t.Fatalf("outcome of %s from Postgres = %+v, %v; want %+v", bidID, got, err, want[i])
		}
	}
	if want[0].Status != StatusAccepted || want[1].Status != StatusRejected {
		t.Fatalf("outcomes %+v, want the first accepted and the second rejected", want)
	}
}
