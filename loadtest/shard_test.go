package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"
)

func TestParseShardAndParts(t *testing.T) {
	tests := []struct {
		in    string
		ok    bool
		index int
		count int
	}{
		{"", true, 0, 1}, {"0/1", true, 0, 1}, {"2/3", true, 2, 3},
		{"3/3", false, 0, 0}, {"-1/2", false, 0, 0}, {"1", false, 0, 0}, {"a/b", false, 0, 0}, {"0/0", false, 0, 0},
	}
	for _, tc := range tests {
		s, err := ParseShard(tc.in)
		if (err == nil) != tc.ok || (tc.ok && (s.Index != tc.index || s.Count != tc.count)) {
			t.Errorf("ParseShard(%q) = %v, %v", tc.in, s, err)
		}
	}
	// The shards' parts add up to exactly the whole, whatever the remainder.
	for _, n := range []int{1, 2, 3, 7} {
		for _, total := range []int{0, 1, 5, 100, 101} {
			sum, rate := 0, 0.0
			for i := range n {
				sum += Shard{i, n}.Part(total)
				rate += Shard{i, n}.Rate(30)
			}
			if sum != total || rate < 29.999 || rate > 30.001 {
				t.Errorf("%d shards of %d: parts add to %d, rates to %g", n, total, sum, rate)
			}
		}
	}
}

func TestShardRoomsAndScenario(t *testing.T) {
	rooms := make([]RoomInfo, 5)
	for i := range rooms {
		rooms[i].RoomID = fmt.Sprintf("r%d", i)
	}
	got := map[string]int{}
	for i := range 2 {
		mine, err := Shard{i, 2}.Rooms(rooms)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range mine {
			got[r.RoomID]++
		}
	}
	if len(got) != 5 {
		t.Fatalf("rooms dealt: %v", got)
	}
	if _, err := (Shard{0, 6}).Rooms(rooms); err == nil {
		t.Fatal("6 shards over 5 rooms: want an error")
	}

	sc := &Scenario{Name: "s", Duration: Duration(time.Minute), Rooms: 4}
	sc.Video.Rooms, sc.Video.Viewers, sc.Video.Ramp = 3, 10, 5
	sc.Bids.Bidders, sc.Bids.Watchers, sc.Bids.Rate = 31, 9, 15
	sc.Spike.At, sc.Spike.Viewers, sc.Spike.Ramp, sc.Spike.Watchers = Duration(10*time.Second), 20, 10, 5
	var video, bidders, watchers, spikeViewers, spikeWatchers, nRooms int
	var rate float64
	for i := range 2 {
		part, mine, err := Shard{i, 2}.Scenario(sc, rooms)
		if err != nil {
			t.Fatal(err)
		}
		if len(mine) != part.Rooms {
			t.Fatalf("shard %d: %d rooms for a scenario of %d", i, len(mine), part.Rooms)
		}
		nRooms += part.Rooms
		video += part.Video.Rooms
		bidders += part.Bids.Bidders
		watchers += part.Bids.Watchers
		rate += part.Bids.Rate
		spikeViewers += part.Spike.Viewers
		spikeWatchers += part.Spike.Watchers
	}
	if nRooms != 4 || video != 3 || bidders != 31 || watchers != 9 || rate != 15 || spikeViewers != 20 || spikeWatchers != 5 {
		t.Fatalf("shards do not add up: rooms %d video %d bidders %d watchers %d rate %g spike %d/%d",
			nRooms, video, bidders, watchers, rate, spikeViewers, spikeWatchers)
	}
}

// TestMergedHistogramMatchesSingleProcess feeds the same latencies to one
// histogram (a single process) and, split at random, to two shards' that go
// through their samples files: the merged percentiles must equal the single
// process's (to the histogram's resolution: the same buckets), never an
// average of the shards' percentiles.
func TestMergedHistogramMatchesSingleProcess(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var single, a, b Histogram
	for i := range 50000 {
		// Mostly fast, a slow tail, a few over a second.
		d := time.Duration(rng.ExpFloat64() * float64(3*time.Millisecond))
		if i%50 == 0 {
			d = time.Duration(rng.IntN(1500)) * time.Millisecond
		}
		single.Record(d)
		if rng.IntN(3) == 0 { // unequal shards
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	var merged Histogram
	for _, h := range []*Histogram{&a, &b} {
		raw, err := json.Marshal(h.Data())
		if err != nil {
			t.Fatal(err)
		}
		var back HistogramData
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		if err := merged.Add(back); err != nil {
			t.Fatal(err)
		}
	}
	if merged.Count() != single.Count() || merged.Max() != single.Max() {
		t.Fatalf("merged count %d max %v, single %d %v", merged.Count(), merged.Max(), single.Count(), single.Max())
	}
	for _, q := range []float64{0, .5, .9, .95, .99, .999, 1} {
		if m, s := merged.Quantile(q), single.Quantile(q); m != s {
			t.Errorf("q%g: merged %v, single process %v", q, m, s)
		}
	}
	if err := merged.Add(HistogramData{Buckets: [][2]uint64{{overBucket + 1, 1}}}); err == nil {
		t.Fatal("a bucket out of range must be refused")
	}
}

// TestTwoShardBidsRunMerges runs the bids load as two shards against the
// in-process fake server (shard 1 joins the lot shard 0 started, so the
// shards' bids meet in one lot), writes each shard's samples file and
// merges them: the counts are the sums of the shards', the percentiles are
// those of the shards' histograms merged, and the audit, run once over both
// shards' bids, passes (each shard alone sees only its own bidders' bids).
func TestTwoShardBidsRunMerges(t *testing.T) {
	noLeaks(t)
	f, srv := newFakeAuction(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	start := time.Now().Add(1500 * time.Millisecond)
	run := func(i int, room RoomInfo) (*Report, error) {
		sh := Shard{i, 2}
		rep, err := RunBids(ctx, BidsConfig{BaseURL: srv.URL, Rooms: []RoomInfo{room}, Bidders: sh.Part(7), Watchers: sh.Part(5),
			Rate: sh.Rate(24), ChatRate: sh.Rate(2), Duration: 1500 * time.Millisecond, StartAt: start})
		if err != nil {
			return nil, err
		}
		return rep, rep.WriteSamples(filepath.Join(dir, fmt.Sprintf("shard-%d.json", i)), sh, start)
	}
	type result struct {
		rep *Report
		err error
	}
	done0 := make(chan result, 1)
	go func() {
		rep, err := run(0, RoomInfo{RoomID: "r1", SellerID: "seller", LotIDs: []string{"lot1"}, SellerLoginURL: srv.URL + "/auth/link/x"})
		done0 <- result{rep, err}
	}()
	for deadline := time.Now().Add(10 * time.Second); ; {
		f.mu.Lock()
		live := f.live
		f.mu.Unlock()
		if live {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("shard 0 did not start its lot")
		}
		time.Sleep(10 * time.Millisecond)
	}
	rep1, err := run(1, RoomInfo{RoomID: "r2", SellerID: "seller", SellerLoginURL: srv.URL + "/auth/link/x"})
	if err != nil {
		t.Fatal(err)
	}
	r0 := <-done0
	if r0.err != nil {
		t.Fatal(r0.err)
	}
	shards := []*Report{r0.rep, rep1}
	merged, err := Merge(ctx, MergeConfig{Files: []string{filepath.Join(dir, "shard-0.json"), filepath.Join(dir, "shard-1.json")}})
	if err != nil {
		t.Fatal(err)
	}
	m := merged.Bids
	var sent, acked, accepted, rejected, bidders, watchers int64
	var ackN uint64
	var ack, decision Histogram
	for i, r := range shards {
		if r.ErrorCount != 0 {
			t.Fatalf("shard %d errors: %v", i, r.Errors)
		}
		b := r.Bids
		sent, acked, accepted, rejected = sent+b.Sent, acked+b.Acked, accepted+b.Accepted, rejected+b.Rejected
		bidders, watchers = bidders+int64(b.Bidders), watchers+int64(b.Watchers)
		ackN += b.Ack.N
		raw, err := ReadSamples(filepath.Join(dir, fmt.Sprintf("shard-%d.json", i)))
		if err != nil {
			t.Fatal(err)
		}
		if raw.Shard != i || raw.Shards != 2 || !raw.StartAt.Equal(start) {
			t.Fatalf("shard %d samples: shard %d/%d start %v", i, raw.Shard, raw.Shards, raw.StartAt)
		}
		_ = ack.Add(raw.Bids.Ack)
		_ = decision.Add(raw.Bids.Decision)
	}
	if bidders != 7 || watchers != 5 {
		t.Fatalf("shards ran %d bidders and %d watchers, want 7 and 5", bidders, watchers)
	}
	if m.Sent != sent || m.Acked != acked || m.Accepted != accepted || m.Rejected != rejected || m.Sent < 20 ||
		int64(m.Bidders) != bidders || int64(m.Watchers) != watchers || merged.Shards != 2 {
		t.Fatalf("merged %+v, shards sent %d acked %d accepted %d rejected %d", m, sent, acked, accepted, rejected)
	}
	if m.Ack.N != ackN || m.Ack != quantilesOf(&ack) || m.Decision != quantilesOf(&decision) {
		t.Fatalf("ack samples %d: merged ack %+v decision %+v, from the shards' histograms %+v %+v", ackN, m.Ack, m.Decision,
			quantilesOf(&ack), quantilesOf(&decision))
	}
	a := merged.Audit
	if a == nil || !a.OK || a.Checked < int(acked) || a.OpenLots != 0 {
		t.Fatalf("merged audit: %+v", a)
	}
	if len(merged.Series) == 0 || merged.SummaryLine() == "" {
		t.Fatal("merged report has no series")
	}
}

func TestMergeRefusesIncompleteRuns(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, shard Shard, kind string) string {
		r := newReport(kind, "http://127.0.0.1:1")
		p := filepath.Join(dir, name)
		if err := r.WriteSamples(p, shard, time.Time{}); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b, c := write("a", Shard{0, 2}, "bids"), write("b", Shard{0, 2}, "bids"), write("c", Shard{1, 2}, "viewers")
	for _, files := range [][]string{{a}, {a, b}, {a, c}, nil} {
		if _, err := Merge(context.Background(), MergeConfig{Files: files}); err == nil {
			t.Errorf("merge %v: want an error", files)
		}
	}
}

// TestHistogramSlowBuckets: an overloaded server's seconds-long decisions
// and first frames keep 100 ms resolution up to a minute (above a second
// every percentile used to read as the maximum), and survive a samples
// file.
func TestHistogramSlowBuckets(t *testing.T) {
	var h Histogram
	for _, d := range []time.Duration{1250 * time.Millisecond, 3050 * time.Millisecond, 59900 * time.Millisecond, 61 * time.Second} {
		h.Record(d)
	}
	var back Histogram
	if err := back.Add(h.Data()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{.25, 1300 * time.Millisecond}, {.5, 3100 * time.Millisecond}, {.75, 60 * time.Second}, {1, 61 * time.Second}} {
		if got := back.Quantile(tc.q); got != tc.want {
			t.Errorf("q%g = %v, want %v", tc.q, got, tc.want)
		}
	}
}

// TestMergeBrowsersAndViewers: browser and viewer figures from two shards'
// samples files merge into sums, with percentiles over every tab-interval
// and ratios over summed parts.
func TestMergeBrowsersAndViewers(t *testing.T) {
	dir := t.TempDir()
	var files []string
	var allFirst []float64
	for i, first := range [][]float64{{900, 1200, 700}, {3000, 650}} {
		r := newReport("browsers", "http://127.0.0.1:1")
		r.samples().Browsers = &BrowserSamples{Tabs: len(first), Playing: len(first), FirstFrame: first, Lost: int64(i),
			Received: 1000, FPSSum: 30 * float64(len(first)), FPSN: len(first)}
		r.samples().Viewers = &ViewerSamples{Rooms: 1, Viewers: 2, Connected: 2, Delivered: 900 + int64(i)*100, Offered: 1000,
			VideoBytes: 1000 * 1000, ViewerSeconds: 10, PublisherBytes: 500 * 1000, PublisherSeconds: 5}
		p := filepath.Join(dir, fmt.Sprintf("s%d.json", i))
		if err := r.WriteSamples(p, Shard{i, 2}, time.Time{}); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
		allFirst = append(allFirst, first...)
	}
	m, err := Merge(context.Background(), MergeConfig{Files: files})
	if err != nil {
		t.Fatal(err)
	}
	b, v := m.Browsers, m.Viewers
	if b == nil || b.Tabs != 5 || b.PacketsLost != 1 || b.PacketsReceived != 2000 || b.FPS != 30 ||
		b.FirstFrame != quantilesOfFloats(allFirst) {
		t.Fatalf("browsers %+v", b)
	}
	if v == nil || v.Viewers != 4 || v.DeliveryRatio != 0.95 || v.Undelivered != 100 || v.BitrateKbps != 800 || v.PublisherKbps != 800 {
		t.Fatalf("viewers %+v", v)
	}
}
