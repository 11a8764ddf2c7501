package bidding

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/events"
)

// TestCopiesOfHideIDsAndMaxima checks who gets which copy of each kind of
// actor event, and that no copy for anyone else names a user ID, a bid ID or
// a proxy maximum.
func TestCopiesOfHideIDsAndMaxima(t *testing.T) {
	const room, lot = "room-1", "lot-1"
	alice, bob := "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
	aliases := events.NewAliases([]byte("test key"))
	krw := func(n int64) auction.Money { return auction.Money{Amount: n, Currency: "KRW"} }
	now := time.Now()
	rec := func(id, who string, kind auction.BidKind, amount int64) auction.BidRecord {
		return auction.BidRecord{ID: id, LotID: lot, BidderID: who, Kind: kind, Amount: krw(amount), ReceivedAt: now, Seq: 1}
	}
	maxRec := rec("alice-max", alice, auction.KindMax, 0) // the actor zeroes a maximum's amount
	tests := []struct {
		name string
		ev   auction.Event
		to   string
		// want is, per copy, "to:<user>", "except:<user>" or "all".
		want []string
		// ownBidID is the bid_id the owner's copy must show.
		ownBidID string
	}{
		{"a maximum that placed nothing", auction.Event{Type: auction.EventBidAccepted, Bid: &maxRec,
			HighBid: krw(20_000), LeaderID: alice}, "", []string{"to:alice"}, "alice-max"},
		{"a maximum that placed a bid", auction.Event{Type: auction.EventBidAccepted, Bid: &maxRec,
			AutoBids: []auction.BidRecord{rec("alice-max~1", alice, auction.KindProxy, 10_000)},
			HighBid:  krw(10_000), LeaderID: alice}, "", []string{"to:alice", "except:alice"}, "alice-max"},
		{"a plain bid answered by a proxy", auction.Event{Type: auction.EventBidAccepted,
			Bid:      ptr(rec("bob-1", bob, auction.KindBid, 20_000)),
			AutoBids: []auction.BidRecord{rec("bob-1~1", alice, auction.KindProxy, 20_500)},
			HighBid:  krw(20_500), LeaderID: alice}, "", []string{"to:bob", "except:bob"}, "bob-1"},
		{"a private rejection", auction.Event{Type: auction.EventBidRejected,
			Bid: ptr(rec("bob-2", bob, auction.KindBid, 1)), Reason: auction.ReasonTooLow, LeaderID: alice},
			bob, []string{"to:bob"}, "bob-2"},
		{"an outbid notice", auction.Event{Type: events.TypeBidOutbid, HighBid: krw(30_000), LeaderID: bob},
			alice, []string{"to:alice"}, ""},
		{"a mute", auction.Event{Type: auction.EventModeration,
			Moderation: &auction.ModStatus{UserID: bob, Muted: true}}, "", []string{"to:bob"}, ""},
		{"slow mode", auction.Event{Type: auction.EventModeration,
			Moderation: &auction.ModStatus{SlowModeMS: 5000}}, "", []string{"all"}, ""},
		{"a sale", auction.Event{Type: auction.EventLotClosed, Status: auction.StatusSold, LeaderID: alice,
			Result: &auction.LotResult{Status: auction.StatusSold, WinnerID: alice, WinningBidID: "bob-1~1",
				Price: krw(20_500)}}, "", []string{"all"}, ""},
	}
	names := map[string]string{alice: "alice", bob: "bob"}
	secrets := []string{alice, bob, "alice-max", "bob-1", "bob-2", `"max"`, `"proxy"`, "leader_id", "winner_id"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.ev.RoomID, tc.ev.LotID, tc.ev.At = room, lot, now
			copies := copiesOf(tc.ev, tc.to, room, aliases)
			var got []string
			for _, c := range copies {
				data, err := json.Marshal(c.ev)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case c.to != "":
					got = append(got, "to:"+names[c.to])
					if tc.ownBidID != "" && !strings.Contains(string(data), `"bid_id":"`+tc.ownBidID+`"`) {
						t.Errorf("the owner's copy lacks their bid_id: %s", data)
					}
					if strings.Contains(string(data), alice) || strings.Contains(string(data), bob) {
						t.Errorf("the owner's copy names a user by ID: %s", data)
					}
					continue
				case c.except != "":
					got = append(got, "except:"+names[c.except])
				default:
					got = append(got, "all")
				}
				for _, s := range secrets {
					if strings.Contains(string(data), s) {
						t.Errorf("a copy for others shows %q: %s", s, data)
					}
				}
				if tc.ev.LeaderID != "" && c.ev.Leader != aliases.Of(room, tc.ev.LeaderID) {
					t.Errorf("leader %q, want the leader's alias", c.ev.Leader)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("copies %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPublicSnapshotHidesIDs(t *testing.T) {
	alice := "11111111-1111-4111-8111-111111111111"
	aliases := events.NewAliases(nil)
	s := auction.Snapshot{RoomID: "r", SellerID: "seller", Lot: &auction.LotView{ID: "l", LeaderID: alice,
		Result: &auction.LotResult{Status: auction.StatusSold, WinnerID: alice, WinningBidID: "a-1"}},
		History: []auction.BidRecord{{ID: "a-1", LotID: "l", BidderID: alice, Kind: auction.KindProxy}}}
	data, _ := json.Marshal(PublicSnapshotOf(s, aliases, nil))
	for _, bad := range []string{alice, "a-1", "proxy", "leader_id", "winner_id"} {
		if strings.Contains(string(data), bad) {
			t.Errorf("public snapshot shows %q: %s", bad, data)
		}
	}
	if a := aliases.Of("r", alice); !strings.Contains(string(data), `"leader":"`+a+`"`) ||
		!strings.Contains(string(data), `"winner":"`+a+`"`) || !strings.Contains(string(data), `"bidder":"`+a+`"`) {
		t.Errorf("public snapshot does not name the bidder by alias %q: %s", a, data)
	}
}

func ptr[T any](v T) *T { return &v }

// TestProxyBidsLookPlain: others see a proxy bid at the sequence and time
// of the bid that made it, not at those of the hidden maximum, in events
// and in the snapshot's history.
func TestProxyBidsLookPlain(t *testing.T) {
	alice, bob := "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
	aliases := events.NewAliases(nil)
	maxAt, bidAt := time.Now().Add(-time.Hour), time.Now()
	trig := auction.BidRecord{ID: "bob-9", LotID: "l", BidderID: bob, Kind: auction.KindBid,
		Amount: auction.Money{Amount: 20_000, Currency: "KRW"}, ReceivedAt: bidAt, Seq: 9}
	proxy := auction.BidRecord{ID: "bob-9~1", LotID: "l", BidderID: alice, Kind: auction.KindProxy,
		Amount: auction.Money{Amount: 20_500, Currency: "KRW"}, ReceivedAt: maxAt, Seq: 2}
	ev := auction.Event{Type: auction.EventBidAccepted, RoomID: "r", LotID: "l", Bid: &trig,
		AutoBids: []auction.BidRecord{proxy}, LeaderID: alice}
	for _, c := range copiesOf(ev, "", "r", aliases) {
		if c.to == alice {
			continue
		}
		if b := c.ev.AutoBids[0]; b.Seq != 9 || !b.ReceivedAt.Equal(bidAt) || b.Kind != auction.KindBid {
			t.Errorf("copy for %q shows the proxy bid as %+v, want seq 9 at the bid's time", c.to, b)
		}
	}
	own := copiesOf(ev, alice, "r", aliases)[0].ev.AutoBids[0]
	if own.Seq != 2 || own.Kind != auction.KindProxy {
		t.Errorf("the holder's own view of their proxy bid: %+v", own)
	}
	known := map[string]trigger{"bob-9": {seq: 9, at: bidAt}}
	find := func(id string) (int64, time.Time, bool) { k, ok := known[id]; return k.seq, k.at, ok }
	snap := PublicSnapshotOf(auction.Snapshot{RoomID: "r", History: []auction.BidRecord{trig, proxy,
		{ID: "gone~1", BidderID: alice, Kind: auction.KindProxy, ReceivedAt: maxAt, Seq: 2}}}, aliases, find)
	if h := snap.History; h[1].Seq != 9 || !h[1].ReceivedAt.Equal(bidAt) || h[2].Seq != 0 || !h[2].ReceivedAt.IsZero() {
		t.Errorf("snapshot history %+v: proxy bids must show their trigger's seq and time, or none", h)
	}
}
