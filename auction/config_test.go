package auction

import (
	"errors"
	"math"
	"testing"
)

func TestAddAmount(t *testing.T) {
	tests := []struct {
		a, b, sum int64
		ok        bool
	}{
		{1, 2, 3, true},
		{MaxAmount - 1, 1, MaxAmount, true},
		{MaxAmount, 1, 0, false},
		{MaxAmount, MaxAmount, 0, false},
		{math.MaxInt64, 1, 0, false},
		{-1, 1, 0, false},
	}
	for _, tt := range tests {
		sum, ok := addAmount(tt.a, tt.b)
		if ok != tt.ok || (ok && sum != tt.sum) {
			t.Errorf("addAmount(%d, %d) = %d, %v", tt.a, tt.b, sum, ok)
		}
	}
	if _, err := (Money{1, "EUR"}).Add(Money{1, "USD"}); err == nil {
		t.Error("adding different currencies succeeded")
	}
	if _, err := (Money{MaxAmount, "EUR"}).Add(Money{1, "EUR"}); err == nil {
		t.Error("overflowing add succeeded")
	}
}

func TestRaiseBP(t *testing.T) {
	tests := []struct{ from, to, want int64 }{
		{1_000, 1_050, 500},
		{1_000, 1_049, 490},
		{1_000, 2_000, 10_000},
		{1_000, 1_000, 0},
		{1_000, 900, 0},
		{0, 100, 0},
		{1, MaxAmount, math.MaxInt64},
		{100_000_000_000_000, 200_000_000_000_000, 10_000},
		{1, math.MaxInt64, math.MaxInt64},
	}
	for _, tt := range tests {
		if got := raiseBP(tt.from, tt.to); got != tt.want {
			t.Errorf("raiseBP(%d, %d) = %d, want %d", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestIncrements(t *testing.T) {
	tbl := Increments{{0, 10}, {100, 50}, {1_000, 100}}
	for _, tt := range []struct{ price, step int64 }{{0, 10}, {99, 10}, {100, 50}, {999, 50}, {1_000, 100}, {MaxAmount, 100}} {
		if got := tbl.Step(tt.price); got != tt.step {
			t.Errorf("Step(%d) = %d, want %d", tt.price, got, tt.step)
		}
	}
	if _, ok := tbl.Next(MaxAmount); ok {
		t.Error("Next beyond MaxAmount reported ok")
	}
	if err := DefaultIncrements.Validate(); err != nil {
		t.Errorf("default table: %v", err)
	}
	bad := []Increments{
		{},
		{{From: 10, Step: 1}},
		{{From: 0, Step: 0}},
		{{From: 0, Step: -1}},
		{{From: 0, Step: 1}, {From: 0, Step: 2}},
		{{From: 0, Step: 1}, {From: 100, Step: 2}, {From: 50, Step: 3}},
		{{From: 0, Step: MaxAmount + 1}},
	}
	for i, b := range bad {
		if err := b.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("bad table %d: %v", i, err)
		}
	}
}

func TestLotValidate(t *testing.T) {
	ok := testLot("lot", dynamic)
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := map[string]func(l *Lot){
		"no id":               func(l *Lot) { l.ID = "" },
		"bad currency":        func(l *Lot) { l.Currency = "eur" },
		"zero opening":        func(l *Lot) { l.Opening = 0 },
		"negative opening":    func(l *Lot) { l.Opening = -1 },
		"huge opening":        func(l *Lot) { l.Opening = MaxAmount + 1 },
		"negative reserve":    func(l *Lot) { l.Reserve = -1 },
		"empty increments":    func(l *Lot) { l.Increments = Increments{} },
		"unsorted bands":      func(l *Lot) { l.Increments = Increments{{0, 1}, {10, 1}, {5, 1}} },
		"zero duration":       func(l *Lot) { l.Clock.DurationMS = 0 },
		"too long":            func(l *Lot) { l.Clock.DurationMS = MaxDurationMS + 1 },
		"unknown policy":      func(l *Lot) { l.Clock.Policy = "eventually" },
		"no floor":            func(l *Lot) { l.Clock.FloorMS = 0 },
		"floor over clock":    func(l *Lot) { l.Clock.FloorMS = l.Clock.DurationMS + 1 },
		"unsorted tiers":      func(l *Lot) { l.Clock.Tiers = []Tier{{1_000, 5_000}, {500, 6_000}} },
		"decreasing cut":      func(l *Lot) { l.Clock.Tiers = []Tier{{500, 5_000}, {1_000, 2_000}} },
		"zero raise tier":     func(l *Lot) { l.Clock.Tiers = []Tier{{0, 5_000}} },
		"negative cut":        func(l *Lot) { l.Clock.Tiers = []Tier{{500, -1}} },
		"soft without window": func(l *Lot) { l.Clock = ClockConfig{Policy: PolicySoftClose, DurationMS: 1_000} },
		"negative version":    func(l *Lot) { l.Version = -1 },
	}
	for name, mutate := range tests {
		l := testLot("lot", dynamic)
		mutate(&l)
		if err := l.Validate(); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: got %v, want ErrInvalidConfig", name, err)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no room":       {SellerID: "s"},
		"no seller":     {RoomID: "r"},
		"neg grace":     {RoomID: "r", SellerID: "s", Grace: -1},
		"retry min>max": {RoomID: "r", SellerID: "s", CloseRetryMin: 10, CloseRetryMax: 5},
	} {
		if _, err := NewRoom(cfg, SystemClock{}, NewMemStore(), &recSink{}, nil); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: got %v", name, err)
		}
	}
	if _, err := NewRoom(Config{RoomID: "r", SellerID: "s"}, nil, NewMemStore(), &recSink{}, nil); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("nil clock: %v", err)
	}
}
