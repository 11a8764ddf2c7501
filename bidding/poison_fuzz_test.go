package bidding

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/bidcast/bidcast/auction"
	"github.com/bidcast/bidcast/storage"
)

// fuzzRoom is a live show shared by every input of FuzzPoisonBids, with the
// lots a bad bid may name besides the live one.
type fuzzRoom struct {
	*liveShow
	foreignLot string // a lot of another room
	closedLot  string // an ended lot of this room
	futureLot  string // a pending lot of this room
	n          int    // numbers the bids, across inputs
	lastGood   Bid    // the last good bid, whose bid_id a bad bid may reuse
}

// fuzzBid turns one op byte into a bid: the low four bits choose what is
// odd about it, the high four bits its amount. next is the live lot's next
// minimum, prev the input's previous bad bid (for retries).
func (r *fuzzRoom) fuzzBid(op byte, next int64, prev Bid) Bid {
	r.n++
	amounts := []int64{next, next + 1, next - 1, 1, 10_000, MaxAmount, MaxAmount + 1, 0, -1,
		math.MinInt64, math.MaxInt64, 999_999_999}
	b := Bid{RoomID: r.roomID, LotID: r.lotID, BidID: fmt.Sprintf("f-%d", r.n), BidderID: r.bidders[r.n%3],
		Amount: amounts[int(op>>4)%len(amounts)], Currency: "KRW", Kind: KindBid}
	switch op & 0x0f {
	case 0:
		b.LotID = newUUID() // a lot that exists nowhere
	case 1:
		b.LotID = r.foreignLot
	case 2:
		b.LotID = r.closedLot
	case 3:
		b.LotID = r.futureLot
	case 4:
		b.Currency = "USD"
	case 5: // the amount alone
	case 6:
		b.Kind = KindMax
	case 7:
		// Well-formed but odd: the key's separator, the longest ID.
		b.BidID = fmt.Sprintf("%s/%d/", r.bidders[0], r.n)
		b.BidID += strings.Repeat("!", 64-len(b.BidID))
	case 8:
		bad := []string{"", strings.Repeat("x", 65), "a b", "a~1", "é", "a\x00b", "\t"}
		b.BidID = bad[int(op>>4)%len(bad)]
	case 9:
		b.BidderID = newUUID() // no such user
	case 10:
		switch op >> 4 % 4 {
		case 0:
			b.LotID = "not-a-uuid"
		case 1:
			b.Currency = "krw"
		case 2:
			b.Kind = "snipe"
		default:
			b.RoomID = "../" + r.roomID[3:]
		}
	case 11:
		if prev.BidID != "" {
			b = prev // a retry of the previous bid
		}
	case 12:
		b.BidderID = r.sellerID
	case 13:
		if r.lastGood.BidID != "" {
			// Another bidder's bid_id: a bid of its own.
			b.BidID = r.lastGood.BidID
			b.BidderID = r.bidders[(indexOf(r.bidders, r.lastGood.BidderID)+1)%3]
		}
	case 14:
		b.LotID = strings.ToUpper(r.lotID)
	case 15:
		b.LotID, b.Kind = r.foreignLot, KindMax
	}
	return b
}

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

// rotateLot ends a lot that can take no further bid (its price reached
// MaxAmount) and starts a fresh one.
func (r *fuzzRoom) rotateLot() {
	r.t.Helper()
	ctx := context.Background()
	if err := r.room.Actor().EndEarly(ctx, r.lotID); err != nil {
		r.t.Fatalf("end lot %s: %v", r.lotID, err)
	}
	lots := storage.NewLots(r.db)
	waitFor(r.t, "the maxed-out lot to close", func() bool {
		r.clock.Advance(time.Second)
		l, err := lots.Get(ctx, r.lotID)
		return err == nil && auction.LotStatus(l.State).Terminal()
	})
	r.lotID = r.addLot(r.roomID)
	if err := r.room.StartLot(ctx, r.lotID); err != nil {
		r.t.Fatalf("start lot %s: %v", r.lotID, err)
	}
}

// FuzzPoisonBids feeds the room random well-formed and malformed bids, each
// followed at once by a good bid, and checks that the room keeps deciding:
// a bad bid is refused at ingress or gets exactly one outcome, and the good
// bid behind it is decided (accepted, unless the bad bid itself raised the
// price past it). The seed corpus runs in a plain `go test`.
func FuzzPoisonBids(f *testing.F) {
	f.Add([]byte{0x00, 0x01, 0x02, 0x03})       // unknown, foreign, closed and future lots
	f.Add([]byte{0x04, 0x15, 0x26, 0x0e, 0x0f}) // another currency, odd amounts, max bids, case
	f.Add([]byte{0x07, 0x18, 0x09, 0x39, 0x0b}) // odd and bad IDs, unknown bidder, retry
	f.Add([]byte{0x0a, 0x1a, 0x2a, 0x3a, 0x0c, 0x0d, 0x56, 0x55, 0x65})
	s := &fuzzRoom{liveShow: startLiveShow(f, "soft-close", 10*time.Minute)}
	_, s.foreignLot = s.addRoom(false)
	s.closedLot, s.futureLot = s.addLot(s.roomID), s.addLot(s.roomID)
	if _, err := s.db.Pool.Exec(context.Background(), `UPDATE lots SET state = 'unsold' WHERE id = $1`, s.closedLot); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 8 {
			ops = ops[:8] // each input stays short; the fuzzer supplies many
		}
		s.run(t, ops)
	})
}

// run submits a bad bid for each op, each followed by a good one, and
// checks that both are decided.
func (s *fuzzRoom) run(t *testing.T, ops []byte) {
	s.t = t
	ctx := context.Background()
	var prev Bid
	for _, op := range ops {
		next := s.nextMinimum()
		if next == 0 {
			s.rotateLot()
			next = s.nextMinimum()
		}
		bad := s.fuzzBid(op, next, prev)
		rc, err := s.ingress.Submit(ctx, bad)
		if verr := bad.Validate(); verr != nil {
			if !errors.Is(err, ErrInvalidBid) {
				t.Fatalf("malformed bid %+v: Submit = %v, want ErrInvalidBid (%v)", bad, err, verr)
			}
		} else if err != nil {
			t.Fatalf("submit %+v: %v", bad, err)
		}
		good := Bid{RoomID: s.roomID, LotID: s.lotID, BidID: fmt.Sprintf("g-%d", s.n),
			BidderID: s.bidders[(s.n+1)%3], Amount: next, Currency: "KRW", Kind: KindBid}
		grc, gerr := s.ingress.Submit(ctx, good)
		if gerr != nil || grc.Duplicate {
			t.Fatalf("submit good bid %+v: %+v, %v", good, grc, gerr)
		}
		s.lastGood = good
		badOut := Outcome{}
		if err == nil && rc.Bid.Seq > 0 {
			badOut = s.decidedOutcome(t, bad, rc)
			prev = bad
		}
		goodOut := s.decidedOutcome(t, good, grc)
		if goodOut.Status != StatusAccepted && (badOut.Status != StatusAccepted || goodOut.Reason != string(auction.ReasonTooLow)) {
			t.Fatalf("good bid behind %+v (%s/%s): %s/%s, want accepted", bad, badOut.Status, badOut.Reason,
				goodOut.Status, goodOut.Reason)
		}
	}
	s.checkOneOutcomePerSeq(t)
}

// decidedOutcome waits for b's outcome and checks that it is the one for
// the bid as sequenced (a retry's is the original's) and, when the bidder
// exists, that its audit row agrees.
func (r *fuzzRoom) decidedOutcome(t *testing.T, b Bid, rc Receipt) Outcome {
	t.Helper()
	var out Outcome
	waitFor(t, "the outcome of "+b.BidID, func() bool {
		o, err := r.out.Get(context.Background(), b.RoomID, b.BidderID, b.BidID)
		if err != nil && !errors.Is(err, ErrUnknownBid) {
			t.Fatalf("outcome of %s: %v", b.BidID, err)
		}
		out = o
		return err == nil && o.Status != StatusPending
	})
	if out.Seq != rc.Bid.Seq || out.BidderID != b.BidderID {
		t.Fatalf("outcome of %+v = %+v, want seq %d", b, out, rc.Bid.Seq)
	}
	if out.Status == StatusRejected && out.Reason == "" {
		t.Fatalf("rejection of %+v states no reason", b)
	}
	if indexOf(r.bidders, b.BidderID) < 0 && b.BidderID != r.sellerID {
		return out // no such user: decided without an audit row
	}
	rec, ok, err := storage.NewBids(r.db).FindByBidID(context.Background(), b.BidderID, b.BidID)
	if err != nil || !ok || rec.IngressSeq != rc.Bid.Seq || rec.Outcome != out.Status || rec.Reason != out.Reason {
		t.Fatalf("audit row of %+v = %+v (%v, %v), want seq %d %s/%s", b, rec, ok, err, rc.Bid.Seq, out.Status, out.Reason)
	}
	return out
}

// checkOneOutcomePerSeq checks that no ingress sequence number of the room
// was decided twice (proxy bids carry their maximum's number).
func (r *fuzzRoom) checkOneOutcomePerSeq(t *testing.T) {
	t.Helper()
	var doubled int
	err := r.db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM (SELECT ingress_seq FROM bids
		WHERE room_id = $1 AND kind <> 'proxy' GROUP BY ingress_seq HAVING count(*) > 1) d`, r.roomID).Scan(&doubled)
	if err != nil || doubled != 0 {
		t.Fatalf("%d sequence numbers decided more than once (%v)", doubled, err)
	}
}
