package bidding

import (
	"sync/atomic"
	"time"
)

// Stage names one step of a bid's way through the pipeline, for the
// per-stage latency histograms (Stages). Together they account for a bid's
// time from its receive stamp to its outcome in the room's event log.
type Stage int

// The stages, in the order a bid passes them.
const (
	// StageIngressScript is Submit's one script call (dedupe, sequence,
	// stamp, log, backstop task, nudge), per bid.
	StageIngressScript Stage = iota
	// StageNudge is from a bid's receive stamp (Redis TIME) to its nudge
	// reaching the owner's listener, per nudge.
	StageNudge
	// StageQueue is from a request (a nudge, an Asynq delivery) reaching
	// the sequencer to the start of the pass that serves it: the wait
	// behind the batch in progress.
	StageQueue
	// StageRead is the sequencer's read of a batch from the log, with the
	// previous batch's outcomes and trims in the same round trip.
	StageRead
	// StageDecide is the room actor deciding a batch, without its commit.
	StageDecide
	// StageCommit is the batch's Postgres transaction (LotStore).
	StageCommit
	// StageAfterCommit is from the batch's commit to the sequencer having
	// queued its outcomes and log trims (the actor emitting the events).
	StageAfterCommit
	// StagePublishWait is from the actor emitting a batch's first event to
	// the publisher taking it up.
	StagePublishWait
	// StageSnapshot is the publisher asking the actor for the snapshot it
	// attaches to a batch's last event.
	StageSnapshot
	// StagePublish is the publisher's round trip that puts a batch's
	// events in the room's event log.
	StagePublish
	// StageDecided is a bid's whole way inside the server, from its
	// receive stamp until its event is in the room's event log.
	StageDecided
	numStages
)

var stageNames = [numStages]string{"ingress_script", "nudge", "queue", "read", "decide",
	"commit", "after_commit", "publish_wait", "snapshot", "publish", "decided"}

// String returns the stage's label value.
func (s Stage) String() string {
	if s < 0 || s >= numStages {
		return "unknown"
	}
	return stageNames[s]
}

// StageBuckets are the upper bounds of the stage histograms' buckets.
var StageBuckets = []time.Duration{
	100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond, time.Millisecond,
	2 * time.Millisecond, 3 * time.Millisecond, 5 * time.Millisecond, 7500 * time.Microsecond,
	10 * time.Millisecond, 15 * time.Millisecond, 20 * time.Millisecond, 25 * time.Millisecond,
	35 * time.Millisecond, 50 * time.Millisecond, 75 * time.Millisecond, 100 * time.Millisecond,
	150 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond, time.Second,
	2500 * time.Millisecond, 5 * time.Second,
}

// numBuckets is len(StageBuckets) and the +Inf bucket.
const numBuckets = 23

// Stages holds one latency histogram per Stage. Observing is a few atomic
// adds, so the bid path pays no lock and no allocation; a metrics
// collector reads a Snapshot at scrape time. A nil *Stages observes
// nothing. It is safe for concurrent use.
type Stages struct {
	h [numStages]stageHist
}

type stageHist struct {
	counts [numBuckets]atomic.Uint64 // the last is +Inf
	sum    atomic.Int64              // nanoseconds
}

// NewStages returns empty histograms.
func NewStages() *Stages { return &Stages{} }

// Observe records d for stage s.
func (st *Stages) Observe(s Stage, d time.Duration) {
	if st == nil || s < 0 || s >= numStages {
		return
	}
	d = max(d, 0)
	i := 0
	for i < len(StageBuckets) && d > StageBuckets[i] {
		i++
	}
	h := &st.h[s]
	h.counts[i].Add(1)
	h.sum.Add(int64(d))
}

// since records the time from start to now for stage s.
func (st *Stages) since(s Stage, start time.Time) {
	if st != nil {
		st.Observe(s, time.Since(start))
	}
}

// StageHistogram is one stage's histogram at one moment.
type StageHistogram struct {
	Stage string
	// Counts holds the observations per bucket of StageBuckets, not
	// cumulative; the last element counts those above every bound.
	Counts []uint64
	Sum    time.Duration
}

// Count is the number of observations.
func (s StageHistogram) Count() uint64 {
	var n uint64
	for _, c := range s.Counts {
		n += c
	}
	return n
}

// Snapshot returns every stage's histogram, in stage order.
func (st *Stages) Snapshot() []StageHistogram {
	if st == nil {
		return nil
	}
	out := make([]StageHistogram, numStages)
	for s := range numStages {
		h := &st.h[s]
		c := make([]uint64, len(StageBuckets)+1)
		for i := range c {
			c[i] = h.counts[i].Load()
		}
		out[s] = StageHistogram{Stage: s.String(), Counts: c, Sum: time.Duration(h.sum.Load())}
	}
	return out
}
