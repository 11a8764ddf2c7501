package auction

import (
	"testing"
	"time"
)

// TestAfterBid covers every clock policy's reaction to a bid, as a pure
// function of the deadline, the time of the bid and the raise.
func TestAfterBid(t *testing.T) {
	sec := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	tiers := []Tier{{500, 2_000}, {1_000, 5_000}, {2_500, 10_000}}
	dyn := ClockConfig{Policy: PolicyDynamic, DurationMS: 60_000, FloorMS: 5_000, Tiers: tiers}
	tests := []struct {
		name        string
		clock       ClockConfig
		deadline    time.Time
		now         time.Time
		prev, price int64
		want        time.Time
	}{
		{"dynamic small raise keeps clock", dyn, sec(60), sec(10), 1_000, 1_040, sec(60)},
		{"dynamic +5% cuts 2s", dyn, sec(60), sec(10), 1_000, 1_050, sec(58)},
		{"dynamic +9.99% cuts 2s", dyn, sec(60), sec(10), 1_000, 1_099, sec(58)},
		{"dynamic +10% cuts 5s", dyn, sec(60), sec(10), 1_000, 1_100, sec(55)},
		{"dynamic +25% cuts 10s", dyn, sec(60), sec(10), 1_000, 1_250, sec(50)},
		{"dynamic +400% cuts 10s", dyn, sec(60), sec(10), 1_000, 5_000, sec(50)},
		{"dynamic cut stops at floor", dyn, sec(20), sec(10), 1_000, 2_000, sec(15)},
		{"dynamic under floor resets to floor", dyn, sec(12), sec(10), 1_000, 1_010, sec(15)},
		{"dynamic past deadline (grace) resets to floor", dyn, sec(10), sec(10.3), 1_000, 1_010, sec(15.3)},
		{"dynamic default tiers", ClockConfig{Policy: PolicyDynamic, DurationMS: 60_000, FloorMS: 5_000}, sec(60), sec(0), 1_000, 1_100, sec(55)},
		{"soft-close outside window", softClose, sec(60), sec(40), 1_000, 1_100, sec(60)},
		{"soft-close at window edge", softClose, sec(60), sec(50), 1_000, 1_100, sec(60)},
		{"soft-close inside window extends", softClose, sec(60), sec(55), 1_000, 1_100, sec(65)},
		{"soft-close in grace extends", softClose, sec(60), sec(60.2), 1_000, 1_100, sec(70.2)},
		{"sudden-death never moves", suddenDeath, sec(60), sec(59.9), 1_000, 100_000, sec(60)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.clock.afterBid(tt.deadline, tt.now, tt.prev, tt.price); !got.Equal(tt.want) {
				t.Errorf("deadline %v, want %v", got.Sub(t0), tt.want.Sub(t0))
			}
		})
	}
}

// TestPolicyThroughActor checks the actor applies the policy to the real
// raise, including proxy answers, and reports the new deadline.
func TestPolicyThroughActor(t *testing.T) {
	tests := []struct {
		name  string
		clock ClockConfig
		at    time.Duration // when the second bid is placed
		want  time.Duration // deadline after it, from t0
	}{
		{"dynamic +100% cuts 10s", dynamic, 10 * time.Second, 50 * time.Second},
		{"dynamic near end resets to floor", dynamic, 58 * time.Second, 63 * time.Second},
		{"soft-close late extends", softClose, 55 * time.Second, 65 * time.Second},
		{"soft-close early keeps", softClose, 10 * time.Second, 60 * time.Second},
		{"sudden-death keeps", suddenDeath, 59 * time.Second, 60 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Config{}).run()
			h.start(testLot("lot-1", tt.clock))
			mustAccept(t, h.bid("lot-1", "alice", 1_000)) // at opening: no raise
			h.clock.Advance(tt.at)
			res := h.bid("lot-1", "bob", 2_000)
			mustAccept(t, res)
			if got := res.Deadline.Sub(t0); got != tt.want {
				t.Fatalf("deadline t0+%v, want t0+%v", got, tt.want)
			}
			if st, _ := h.store.Lot("lot-1"); !st.Deadline.Equal(res.Deadline) {
				t.Fatalf("stored deadline %v differs", st.Deadline)
			}
		})
	}
}
