package bidding

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/storage"
)

// addLot adds a pending soft-close lot (KRW, opening 10,000) to a room of
// the show's database.
func (s *liveShow) addLot(roomID string) string {
	s.t.Helper()
	ctx := context.Background()
	item, err := storage.NewItems(s.db).Create(ctx, storage.Item{SellerID: s.sellerID, Title: "Lamp"})
	if err != nil {
		s.t.Fatal(err)
	}
	incs, _ := IncrementTableJSON(auction.DefaultIncrements)
	pol, _ := json.Marshal(map[string]any{"kind": "soft-close"})
	lot, err := storage.NewLots(s.db).Add(ctx, storage.Lot{RoomID: roomID, ItemID: item.ID, Currency: "KRW",
		OpeningPrice: 10_000, DurationMS: (10 * time.Minute).Milliseconds(), ClockPolicy: pol, IncrementTable: incs})
	if err != nil {
		s.t.Fatal(err)
	}
	return lot.ID
}

// addRoom makes another room of the show's seller, with one lot, in the
// same database. A live room is started on the show's node with its lot.
func (s *liveShow) addRoom(live bool) (roomID, lotID string) {
	s.t.Helper()
	ctx := context.Background()
	rooms := storage.NewRooms(s.db)
	room, _, err := rooms.Create(ctx, storage.NewRoom{SellerID: s.sellerID, Title: "Other show", Public: true})
	if err != nil {
		s.t.Fatal(err)
	}
	lotID = s.addLot(room.ID)
	if !live {
		return room.ID, lotID
	}
	if _, err := rooms.SetStatus(ctx, room.ID, storage.RoomLive); err != nil {
		s.t.Fatal(err)
	}
	running, err := s.rooms.StartRoom(ctx, room.ID)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(running.Stop)
	lr, _ := s.rooms.Get(room.ID)
	if err := lr.StartLot(ctx, lotID); err != nil {
		s.t.Fatal(err)
	}
	return room.ID, lotID
}

// submitTo sends a bid of the given kind to any room and lot of the show.
func (s *liveShow) submitTo(roomID, lotID string, bidder int, bidID, kind string, amount int64) Receipt {
	s.t.Helper()
	rc, err := s.ingress.Submit(context.Background(), Bid{RoomID: roomID, LotID: lotID, BidID: bidID,
		BidderID: s.bidders[bidder], Amount: amount, Currency: "KRW", Kind: kind})
	if err != nil {
		s.t.Fatalf("submit %s: %v", bidID, err)
	}
	return rc
}

// outcomeIn waits until the bid the show's bidder sent to roomID as bidID
// is decided.
func (s *liveShow) outcomeIn(roomID string, bidder int, bidID string) Outcome {
	s.t.Helper()
	var out Outcome
	waitFor(s.t, "the outcome of "+bidID, func() bool {
		o, err := s.out.Get(context.Background(), roomID, s.bidders[bidder], bidID)
		out = o
		return err == nil && o.Status != StatusPending
	})
	return out
}

// TestBidIDIsPerBidder is the idempotency half of finding 9 of issue 16: a
// bid_id another bidder used before, in the same room or another, used to be
// answered "accepted, duplicate" with the other bidder's seq, and nothing
// was placed. Each bidder's bid must be placed and decided on its own; a
// true retry by the same bidder is still a duplicate with its original
// outcome; and proxy bids answering two bidders' triggers of one bid_id do
// not collide.
func TestBidIDIsPerBidder(t *testing.T) {
	s := startLiveShow(t, "soft-close", 10*time.Minute)
	room2, lot2 := s.addRoom(true)

	first := s.submitTo(s.roomID, s.lotID, 0, "same", KindBid, 10_000)
	if got := s.outcomeOf(0, "same"); got.Status != StatusAccepted {
		t.Fatalf("bidder 0's bid: %s/%s, want accepted", got.Status, got.Reason)
	}
	// Bidder 1, same bid_id, same room.
	amount1 := s.nextMinimum()
	rc := s.submitTo(s.roomID, s.lotID, 1, "same", KindBid, amount1)
	if rc.Duplicate || rc.Bid.Seq == first.Bid.Seq {
		t.Fatalf("bidder 1's bid in the same room: receipt %+v, want a new bid", rc)
	}
	if got := s.outcomeOf(1, "same"); got.Status != StatusAccepted || got.Amount != amount1 || got.BidderID != s.bidders[1] {
		t.Fatalf("bidder 1's bid in the same room: %+v, want its own, accepted", got)
	}
	if lot := s.lot(); lot.LeaderID != s.bidders[1] || lot.HighBid.Amount != amount1 {
		t.Fatalf("leader %s at %d, want bidder 1 at %d", lot.LeaderID, lot.HighBid.Amount, amount1)
	}
	// Bidder 2, same bid_id, another room.
	rc = s.submitTo(room2, lot2, 2, "same", KindBid, 10_000)
	if rc.Duplicate {
		t.Fatalf("bidder 2's bid in another room: receipt %+v, want a new bid", rc)
	}
	if got := s.outcomeIn(room2, 2, "same"); got.Status != StatusAccepted || got.RoomID != room2 {
		t.Fatalf("bidder 2's bid in another room: %+v, want accepted there", got)
	}
	// Bidder 0 retries: the original stands, whatever the retry says.
	again := s.submitTo(s.roomID, s.lotID, 0, "same", KindBid, 99_000)
	if !again.Duplicate || again.Bid.Seq != first.Bid.Seq || again.Outcome.Status != StatusAccepted ||
		again.Outcome.Amount != 10_000 || again.Outcome.BidderID != s.bidders[0] {
		t.Fatalf("retry by bidder 0 = %+v, want the original (seq %d, accepted, 10000)", again, first.Bid.Seq)
	}

	// Bidder 2 holds a maximum in room 1; bidders 0 and 1 each raise with
	// the bid_id "t". Each raise is answered by a proxy bid for bidder 2.
	s.submitTo(s.roomID, s.lotID, 2, "max", KindMax, 5_000_000)
	if got := s.outcomeOf(2, "max"); got.Status != StatusAccepted {
		t.Fatalf("maximum: %s/%s, want accepted", got.Status, got.Reason)
	}
	for _, bidder := range []int{0, 1} {
		s.submitTo(s.roomID, s.lotID, bidder, "t", KindBid, s.nextMinimum())
		if got := s.outcomeOf(bidder, "t"); got.Status != StatusAccepted {
			t.Fatalf("bidder %d's raise against the maximum: %s/%s, want accepted", bidder, got.Status, got.Reason)
		}
	}
	if lot := s.lot(); lot.LeaderID != s.bidders[2] {
		t.Fatalf("leader %s, want the maximum's holder", lot.LeaderID)
	}

	ctx := context.Background()
	bids := storage.NewBids(s.db)
	for _, want := range []struct {
		bidder int
		room   string
		amount int64
	}{{0, s.roomID, 10_000}, {1, s.roomID, amount1}, {2, room2, 10_000}} {
		rec, ok, err := bids.FindByBidID(ctx, s.bidders[want.bidder], "same")
		if err != nil || !ok || rec.RoomID != want.room || rec.Amount != want.amount || rec.Outcome != storage.OutcomeAccepted {
			t.Fatalf("row of bidder %d's bid = %+v %v %v", want.bidder, rec, ok, err)
		}
	}
	var proxies int
	if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM bids WHERE bidder_id = $1 AND kind = 'proxy'`,
		s.bidders[2]).Scan(&proxies); err != nil || proxies < 2 {
		t.Fatalf("proxy bids of the maximum's holder = %d, %v; want one per raise at least", proxies, err)
	}
}
