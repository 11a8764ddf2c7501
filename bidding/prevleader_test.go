package bidding

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/events"
)

// recLog is an events.Log that records what is published.
type recLog struct {
	mu  sync.Mutex
	evs []events.Event
}

func (l *recLog) Publish(_ context.Context, ev events.Event, _ any) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs, ev)
	return int64(len(l.evs)), nil
}
func (l *recLog) Since(context.Context, string, int64, int64) ([]events.Event, error) {
	return nil, nil
}
func (l *recLog) LastSeq(context.Context, string) (int64, error) { return 0, nil }
func (l *recLog) Snapshot(context.Context, string) (json.RawMessage, int64, error) {
	return nil, 0, nil
}
func (l *recLog) PutSnapshot(context.Context, string, any) (int64, error) { return 0, nil }
func (l *recLog) Observe(string, int64)                                   {}
func (l *recLog) SnapshotSeq(context.Context, string) (int64, error)      { return 0, nil }

// ofType returns the recorded events of type typ.
func (l *recLog) ofType(typ string) []events.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []events.Event
	for _, ev := range l.evs {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// recSub records what a subscriber is given.
type recSub struct{ evs []auction.Event }

func (s *recSub) OnEvent(_ string, e auction.Event) { s.evs = append(s.evs, e) }

// TestOutbidComesFromTheEventsPreviousLeader publishes one bid.accepted
// whose previous leader the publisher never saw lead (as after a restart or
// a change of owner): the old leader still gets their private bid.outbid,
// because it reads the event's previous leader instead of tracking leaders
// itself. (The stored outbid notification comes from the committed
// decision: TestNotificationsForOutbidWonAndSold.)
func TestOutbidComesFromTheEventsPreviousLeader(t *testing.T) {
	room, lot, alice, bob := newUUID(), newUUID(), newUUID(), newUUID()
	e := auction.Event{Type: auction.EventBidAccepted, RoomID: room, LotID: lot, At: time.Now(),
		Status: auction.StatusLive, HighBid: auction.Money{Amount: 2_000, Currency: "KRW"}, LeaderID: bob,
		PrevLeaderID: alice, Bid: &auction.BidRecord{ID: "b2", LotID: lot, BidderID: bob, Kind: auction.KindBid,
			Amount: auction.Money{Amount: 2_000, Currency: "KRW"}}}

	log, sub := &recLog{}, &recSub{}
	p := newPublisher(room, log, events.NewAliases(nil), quietLog(), sub)
	p.publishBatch(context.Background(), []pubItem{{ev: e}})
	outbid := log.ofType(events.TypeBidOutbid)
	if len(outbid) != 1 || outbid[0].To != alice {
		t.Fatalf("bid.outbid copies = %+v, want one for the previous leader", outbid)
	}
	if len(sub.evs) != 1 || sub.evs[0].PrevLeaderID != alice {
		t.Fatalf("subscriber saw %+v, want the event with its previous leader", sub.evs)
	}

	// The leader raising their own bid outbids no one.
	e.PrevLeaderID = bob
	log.evs = nil
	p.publishBatch(context.Background(), []pubItem{{ev: e}})
	if outbid := log.ofType(events.TypeBidOutbid); len(outbid) != 0 {
		t.Fatalf("a leader's raise sent %+v", outbid)
	}
}
