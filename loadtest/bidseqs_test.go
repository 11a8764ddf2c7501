package loadtest

import "testing"

func TestRecentBids(t *testing.T) {
	var r recentBids
	r.note(7, 70)
	r.note(0, 1)  // unnumbered event: ignored
	r.note(8, -1) // no bid seq: ignored
	cases := []struct {
		ev   int64
		bid  int64
		want bool
	}{
		{7, 70, true},
		{0, 0, false},
		{8, 0, false},
		{7 + recentBidSlots, 0, false}, // same slot, another event
	}
	for _, c := range cases {
		if bid, ok := r.bidOf(c.ev); ok != c.want || (ok && bid != c.bid) {
			t.Errorf("bidOf(%d) = %d, %v; want %d, %v", c.ev, bid, ok, c.bid, c.want)
		}
	}
	r.note(7+recentBidSlots, 99) // overwrites event 7
	if _, ok := r.bidOf(7); ok {
		t.Error("an overwritten event still answers")
	}
	if bid, ok := r.bidOf(7 + recentBidSlots); !ok || bid != 99 {
		t.Errorf("bidOf(%d) = %d, %v", 7+recentBidSlots, bid, ok)
	}
}
