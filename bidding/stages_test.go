package bidding

import (
	"testing"
	"time"
)

// TestStagesTimeEveryStep runs bids through a live room with the stage
// histograms on: every stage records, and each bid's whole way is
// recorded once.
func TestStagesTimeEveryStep(t *testing.T) {
	st := NewStages()
	s := startLiveShow(t, "soft-close", 10*time.Minute, func(_ *liveShow, cfg *RoomsConfig) {
		cfg.Pipeline.Stages = st
	})
	// Stamped by Redis TIME, as in production, so the nudge stage (stamp
	// to listener) is measured on one clock.
	s.ingress = NewIngress(s.rdb, s.out, IngressConfig{Stages: st})
	const n = 5
	amount := s.nextMinimum()
	for i := range n {
		s.submit(i%3, "st-"+string(rune('a'+i)), amount)
		amount = amount * 11 / 10
	}
	count := func(s Stage) uint64 { return st.Snapshot()[s].Count() }
	waitFor(t, "every bid's way recorded", func() bool { return count(StageDecided) == n })
	for s := range numStages {
		if count(s) == 0 {
			t.Errorf("stage %s recorded nothing", s)
		}
	}
	for _, s := range []Stage{StageIngressScript, StageNudge} {
		if got := count(s); got != n {
			t.Errorf("stage %s recorded %d times, want once per bid (%d)", s, got, n)
		}
	}
	var nilStages *Stages
	nilStages.Observe(StageCommit, time.Second) // a nil Stages records nothing, without panicking
	if nilStages.Snapshot() != nil {
		t.Error("nil Stages has a snapshot")
	}
}

// TestStageBucketsAscend: the bounds ascend and fill the counters exactly.
func TestStageBucketsAscend(t *testing.T) {
	if len(StageBuckets)+1 != numBuckets {
		t.Fatalf("%d bounds and %d counters", len(StageBuckets), numBuckets)
	}
	for i := 1; i < len(StageBuckets); i++ {
		if StageBuckets[i] <= StageBuckets[i-1] {
			t.Fatalf("bound %d (%v) not above %v", i, StageBuckets[i], StageBuckets[i-1])
		}
	}
}
