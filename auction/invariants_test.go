package auction

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// scenario interprets bytes as a sequence of bids, proxy maxima, clock
// moves, seller commands, bans and store outages against one room, and
// checks the invariants after every step:
//
//  1. no bid received after the deadline in force is accepted, and every
//     bid received before it gets an outcome, which is acceptance unless a
//     rule (too low, banned, paused, store down...) legitimately refuses it;
//  2. the high bid never decreases, and the leader is the earliest bidder
//     of the highest accepted price;
//
// plus: committed state matches memory, bid IDs are committed once, and a
// lot sells to its leader only at or above the reserve. Invariant 4 (one
// goroutine owns the clock) is what running it under -race checks.
type scenario struct {
	t         testing.TB
	h         *harness
	clocks    []ClockConfig
	lots      []Lot
	lotN      int
	liveSince time.Time
	failing   bool
	banned    map[string]bool
}

var bidders = []string{testSeller, "ann", "ben", "cat", "dan"}

func runScenario(t testing.TB, data []byte) { runScenarioH(t, data, nil) }

func runScenarioH(t testing.TB, data []byte, out **harness) {
	s := &scenario{t: t, h: newHarness(t, Config{Grace: 300 * time.Millisecond}).run(), banned: map[string]bool{}}
	s.h.store.Fail = func() error {
		if s.failing {
			return errors.New("store down")
		}
		return nil
	}
	clocks := []ClockConfig{
		{Policy: PolicyDynamic, DurationMS: 20_000, FloorMS: 3_000, Tiers: []Tier{{500, 1_000}, {2_000, 4_000}}},
		{Policy: PolicySoftClose, DurationMS: 15_000, ExtendMS: 4_000},
		{Policy: PolicySuddenDeath, DurationMS: 10_000},
	}
	s.clocks = clocks
	if out != nil {
		*out = s.h
	}
	s.startNext()
	for i := 0; i+1 < len(data); i += 2 {
		s.step(data[i], data[i+1])
	}
}

// startNext starts a new lot, cycling through the clock policies, every
// other one with a reserve.
func (s *scenario) startNext() {
	l := testLot(fmt.Sprint("lot-", s.lotN), s.clocks[s.lotN%len(s.clocks)])
	if s.lotN%2 == 1 {
		l.Reserve = 3_000
	}
	err := s.h.room.StartLot(context.Background(), l)
	switch {
	case err == nil:
		s.liveSince = s.h.clock.Now()
		s.lots = append(s.lots, l)
		s.lotN++
	case errors.Is(err, ErrLotActive) || errors.Is(err, ErrCommit):
	default:
		s.t.Fatalf("start: %v", err)
	}
}

func (s *scenario) step(op, arg byte) {
	ctx := context.Background()
	pre := s.h.snap()
	var lotID string
	if pre.Lot != nil {
		lotID = pre.Lot.ID
	}
	switch op % 16 {
	case 0, 1, 2, 3, 4, 5, 6, 7, 8:
		if pre.Lot != nil && pre.Lot.Status.Terminal() && arg%4 == 0 {
			s.startNext()
			pre = s.h.snap()
		}
		s.bid(pre, op%16 >= 7, arg)
		return
	case 9, 10:
		s.h.clock.Advance(time.Duration(arg) * 37 * time.Millisecond)
	case 11:
		if pre.Lot != nil && pre.Lot.Status == StatusPaused {
			if s.h.room.Resume(ctx, lotID) == nil {
				s.liveSince = s.h.clock.Now()
			}
		} else if arg%2 == 0 {
			_ = s.h.room.Pause(ctx, lotID)
		}
	case 12:
		if arg%4 == 0 { // ending early is rarer, or lots never run their clocks
			_ = s.h.room.EndEarly(ctx, lotID)
		}
	case 13:
		switch {
		case pre.Lot == nil || pre.Lot.Status == StatusSold:
			s.startNext()
		case pre.Lot.Status.Terminal() && arg%2 == 0:
			if s.h.room.Relist(ctx, lotID) == nil {
				s.liveSince = s.h.clock.Now()
			}
		case pre.Lot.Status.Terminal():
			s.startNext()
		case arg%4 == 0:
			err := s.h.room.Skip(ctx, lotID)
			if pre.Lot.LeaderID != "" && !errors.Is(err, ErrLotHasBids) {
				s.t.Fatalf("skip of a lot with bids: %v", err)
			}
		}
	case 14:
		u := bidders[1+int(arg)%4]
		var err error
		if s.banned[u] {
			err = s.h.room.Unban(ctx, u)
		} else if arg%4 == 0 {
			err = s.h.room.Ban(ctx, u)
		}
		if err == nil {
			s.banned[u] = !s.banned[u]
		}
	case 15:
		s.h.store.mu.Lock()
		s.failing = arg%4 == 0
		s.h.store.mu.Unlock()
	}
	s.check(pre, s.h.snap())
}

// bid places one bid or maximum built from arg and checks invariant 1.
func (s *scenario) bid(pre Snapshot, isMax bool, arg byte) {
	bidder := bidders[1+int(arg)%(len(bidders)-1)]
	if arg%16 == 0 {
		bidder = testSeller
	}
	lotID := "lot-0"
	if pre.Lot != nil {
		lotID = pre.Lot.ID
	}
	if arg == 255 {
		lotID = "nope"
	}
	amount := int64(1_000)
	if pre.Lot != nil && pre.Lot.NextMin.Amount > 0 {
		amount = pre.Lot.NextMin.Amount
	}
	switch (arg >> 3) % 6 {
	case 0:
		amount--
	case 1, 2:
	case 3:
		amount += 250
	case 4:
		amount *= 2
	case 5:
		amount = MaxAmount + int64(arg)
	}
	// Bids were received up to 700 ms ago: some were in flight across the
	// deadline.
	delay := time.Duration(arg>>5) * 100 * time.Millisecond
	b := s.h.mkBid(lotID, bidder, amount, delay)
	var res BidResult
	var err error
	if isMax {
		res, err = s.h.room.SetMaxBid(context.Background(), b)
	} else {
		res, err = s.h.room.PlaceBid(context.Background(), b)
	}
	if err != nil {
		s.t.Fatalf("bid: %v", err)
	}
	post := s.h.snap()
	in := pre.Lot != nil && (pre.Lot.Status == StatusLive || pre.Lot.Status == StatusClosing)
	if res.Accepted {
		if !in || b.ReceivedAt.After(pre.Lot.Deadline) || b.ReceivedAt.Before(s.liveSince) {
			s.t.Fatalf("invariant 1: accepted bid received at %v, lot %+v, live since %v", b.ReceivedAt.Sub(t0), pre.Lot, s.liveSince.Sub(t0))
		}
	} else if res.Reason == ReasonAfterDeadline && in && !b.ReceivedAt.After(pre.Lot.Deadline) {
		s.t.Fatalf("invariant 1: bid received at %v before deadline %v refused as late", b.ReceivedAt.Sub(t0), pre.Lot.Deadline.Sub(t0))
	}
	// A bid that meets every rule must be accepted: none is lost.
	shouldWin := in && lotID == pre.Lot.ID && bidder != testSeller && !s.banned[bidder] && !s.failing &&
		!b.ReceivedAt.After(pre.Lot.Deadline) && !b.ReceivedAt.Before(s.liveSince) &&
		validAmount(amount) && amount >= pre.Lot.NextMin.Amount && !(isMax && pre.Lot.LeaderID == bidder)
	if shouldWin && !res.Accepted {
		s.t.Fatalf("invariant 1: valid bid %+v refused %s (lot %+v)", b, res.Reason, pre.Lot)
	}
	s.check(pre, post)
}

// check compares two snapshots around a step: invariant 2 and consistency
// with the store.
func (s *scenario) check(pre, post Snapshot) {
	t := s.t
	if post.EventSeq < pre.EventSeq {
		t.Fatalf("event seq went back: %d -> %d", pre.EventSeq, post.EventSeq)
	}
	l := post.Lot
	if l == nil {
		return
	}
	if pre.Lot != nil && pre.Lot.ID == l.ID && pre.Lot.Version <= l.Version && l.HighBid.Amount < pre.Lot.HighBid.Amount && l.BidCount > 0 {
		t.Fatalf("invariant 2: high bid fell %d -> %d", pre.Lot.HighBid.Amount, l.HighBid.Amount)
	}
	bids := s.h.store.Bids(l.ID)
	// Relisting starts the lot afresh: only bids since count.
	var run []BidRecord
	seen := map[string]bool{}
	for _, b := range bids {
		if seen[b.ID] {
			t.Fatalf("bid %s committed twice", b.ID)
		}
		seen[b.ID] = true
		run = append(run, b)
	}
	if l.BidCount == 0 {
		run = nil
	} else {
		// The current run's price bids are the last BidCount ones.
		var prices []BidRecord
		for i := len(run) - 1; i >= 0 && int64(len(prices)) < l.BidCount; i-- {
			if run[i].Kind != KindMax {
				prices = append(prices, run[i])
			}
		}
		run = prices
	}
	checkLeaderRule(t, run, l)
	st, ok := s.h.store.Lot(l.ID)
	if !ok || st.Version != l.Version || st.HighBid != l.HighBid.Amount || st.LeaderID != l.LeaderID {
		// Closing is the one state not committed on its own.
		if !(ok && l.Status == StatusClosing && st.Version == l.Version) {
			t.Fatalf("store %+v differs from memory %+v", st, l)
		}
	}
	if r := l.Result; r != nil && r.Status == StatusSold {
		var lot Lot
		for _, c := range s.lots {
			if c.ID == l.ID {
				lot = c
			}
		}
		if r.WinnerID != l.LeaderID || r.Price.Amount != l.HighBid.Amount || r.Price.Amount < lot.Reserve {
			t.Fatalf("bad sale %+v of %+v", r, l)
		}
	}
	if r := l.Result; r != nil && r.Status == StatusUnsold && l.LeaderID != "" && l.HasReserve == false {
		t.Fatalf("unsold with a bid and no reserve: %+v", l)
	}
}

// TestRandomScenarios runs seeded random scenarios through the invariants.
func TestRandomScenarios(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 30
	}
	for seed := 0; seed < n; seed++ {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		data := make([]byte, 400)
		for i := range data {
			data[i] = byte(rng.UintN(256))
		}
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runScenario(t, data) })
	}
}

// FuzzRoom lets the fuzzer search for a sequence of operations that breaks
// an invariant: go test -fuzz FuzzRoom ./auction/
func FuzzRoom(f *testing.F) {
	f.Add([]byte{0, 8, 1, 16, 7, 24, 9, 255, 9, 255, 13, 0})
	f.Add([]byte{7, 41, 0, 9, 0, 17, 9, 200, 0, 226, 9, 10, 0, 3})
	f.Add([]byte{15, 0, 0, 9, 15, 1, 0, 9, 9, 255, 9, 255, 9, 255})
	f.Add([]byte{11, 0, 0, 9, 11, 0, 12, 0, 0, 227, 9, 100, 13, 0, 13, 2})
	f.Add([]byte{14, 4, 7, 9, 0, 17, 14, 4, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 2_000 {
			return
		}
		runScenario(t, data)
	})
}
