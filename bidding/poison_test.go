package bidding

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/storage"
)

// TestBidOnUnknownLotCostsOnlyItself is finding 0 of issue 16: a bid naming
// a lot that exists nowhere used to fail its audit row on the lots foreign
// key and be retried forever, ahead of every later bid of the room. It must
// be rejected with a stated reason, kept in the audit table, and the good
// bid behind it decided.
func TestBidOnUnknownLotCostsOnlyItself(t *testing.T) {
	s := startLiveShow(t, "soft-close", 10*time.Minute)
	ctx := context.Background()
	unknown := "11111111-2222-3333-4444-555555555555"
	poison, err := s.ingress.Submit(ctx, Bid{RoomID: s.roomID, LotID: unknown, BidID: "poison-1",
		BidderID: s.bidders[0], Amount: 10_000, Currency: "KRW", Kind: KindBid})
	if err != nil || poison.Outcome.Status != StatusPending {
		t.Fatalf("submit poison = %+v, %v", poison, err)
	}
	s.submit(1, "good-1", 10_000)

	if got := s.outcomeOf(0, "poison-1"); got.Status != StatusRejected || got.Reason != string(auction.ReasonWrongLot) {
		t.Fatalf("bid on an unknown lot: %s/%q, want rejected wrong_lot", got.Status, got.Reason)
	}
	if got := s.outcomeOf(1, "good-1"); got.Status != StatusAccepted {
		t.Fatalf("good bid behind the poison one: %s/%s, want accepted", got.Status, got.Reason)
	}
	rec, ok, err := storage.NewBids(s.db).FindByBidID(ctx, s.bidders[0], "poison-1")
	if err != nil || !ok {
		t.Fatalf("audit row of the poison bid: %v, %v", ok, err)
	}
	if rec.Outcome != storage.OutcomeRejected || rec.Reason != string(auction.ReasonWrongLot) || rec.LotID != unknown {
		t.Fatalf("audit row = %+v, want rejected wrong_lot naming lot %s", rec, unknown)
	}
	if lot := s.lot(); lot.LeaderID != s.bidders[1] {
		t.Fatalf("leader = %s, want bidder 1", lot.LeaderID)
	}
}

// TestUpperCaseIDsNameTheSameRoomAndLot: IDs are UUIDs, whose case does not
// matter. An upper-case room ID used to put the bid on a queue no owner
// serves (pending for good), an upper-case lot ID to be refused wrong_lot.
func TestUpperCaseIDsNameTheSameRoomAndLot(t *testing.T) {
	s := startLiveShow(t, "soft-close", 10*time.Minute)
	rc, err := s.ingress.Submit(context.Background(), Bid{RoomID: strings.ToUpper(s.roomID),
		LotID: strings.ToUpper(s.lotID), BidID: "upper", BidderID: strings.ToUpper(s.bidders[0]), Amount: 10_000,
		Currency: "KRW", Kind: KindBid})
	if err != nil || rc.Bid.RoomID != s.roomID {
		t.Fatalf("submit = %+v, %v", rc, err)
	}
	if got := s.outcomeOf(0, "upper"); got.Status != StatusAccepted {
		t.Fatalf("bid with upper-case IDs: %s/%s, want accepted", got.Status, got.Reason)
	}
}

// poisonApplier fails one bid with an error retrying cannot cure, as an
// Applier that breaks its contract would, and decides the others.
type poisonApplier struct {
	*recordingApplier
	poison string
}

func (a poisonApplier) ApplyBatch(ctx context.Context, bids []Bid) ([]Outcome, error) {
	for _, b := range bids {
		if b.BidID == a.poison {
			return nil, fmt.Errorf("record bid %s: %w: check constraint", b.BidID, storage.ErrInvalid)
		}
	}
	return a.recordingApplier.ApplyBatch(ctx, bids)
}

// TestSequencerRefusesWhatRetryingCannotCure: even an applier that returns
// a permanent error, instead of deciding the bid, cannot stop the room: the
// sequencer rejects that bid (invalid_bid) and applies the ones behind it.
func TestSequencerRefusesWhatRetryingCannotCure(t *testing.T) {
	ctx := context.Background()
	rdb := testRedis(t)
	room, lot := newUUID(), newUUID()
	app := poisonApplier{recordingApplier: newRecordingApplier(), poison: "poison"}
	outcomes := NewOutcomes(rdb, nil)
	p, err := StartPipeline(ctx, room, rdb, app, outcomes, app.recordingApplier,
		PipelineConfig{TaskCheckInterval: 50 * time.Millisecond}, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	in := NewIngress(rdb, outcomes, IngressConfig{})
	bad := sampleBid(room, lot, 1)
	bad.BidID = "poison"
	if _, err := in.Submit(ctx, bad); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Submit(ctx, sampleBid(room, lot, 2)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the bid behind the poison one", func() bool { return len(app.snapshot()) == 1 })
	// Outcomes are stored after the apply, with the sequencer's next round
	// trip to Redis: wait for the poison bid's to be decided.
	var out Outcome
	waitFor(t, "the poison bid's outcome", func() bool {
		out, err = outcomes.Get(ctx, room, bad.BidderID, bad.BidID)
		return err != nil || out.Status != StatusPending
	})
	if err != nil || out.Status != StatusRejected || out.Reason != string(auction.ReasonInvalidBid) {
		t.Fatalf("poison bid outcome = %+v, %v; want rejected invalid_bid", out, err)
	}
}
