package loadtest

import (
	"context"
	"fmt"
	"math"
	"sort"
)

// MergeConfig configures Merge.
type MergeConfig struct {
	// Files are the shards' samples files (loadtest … -samples FILE):
	// paths, s3://bucket/key, or s3://bucket/prefix/ for every .json
	// under the prefix.
	Files []string
	// DatabaseURL, when set, makes the audit reread the server's record of
	// every shard's lots from Postgres; otherwise it uses the records the
	// shards read through the API.
	DatabaseURL string
}

// Merge builds one report from the samples of every shard of a run: counts
// are sums, percentiles come from the merged histograms (never averages of
// the shards' percentiles), ratios are taken over summed numerators and
// denominators, and the bid audit runs once over every shard's bids.
func Merge(ctx context.Context, cfg MergeConfig) (*Report, error) {
	files, err := expandSamples(cfg.Files)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, errNoSamples
	}
	var all []*Samples
	for _, f := range files {
		s, err := ReadSamples(f)
		if err != nil {
			return nil, err
		}
		all = append(all, s)
	}
	if err := checkShards(all); err != nil {
		return nil, err
	}
	first := all[0].Report
	rep := &Report{Schema: Schema, Kind: first.Kind, Target: first.Target, Started: first.Started, Host: first.Host,
		Args: first.Args, Shards: len(all)}
	var vsm *ViewerSamples
	var bids []*Samples
	for _, s := range all {
		r := s.Report
		if r.Started.Before(rep.Started) {
			rep.Started = r.Started
		}
		rep.Seconds = max(rep.Seconds, r.Seconds)
		for _, e := range r.Errors {
			if len(rep.Errors) < 20 {
				rep.Errors = append(rep.Errors, fmt.Sprintf("shard %d: %s", s.Shard, e))
			}
		}
		rep.ErrorCount += r.ErrorCount

		rep.Generator.Source = "shards"
		rep.Generator.CPUCores += r.Generator.CPUCores
		rep.Generator.RSSMiB += r.Generator.RSSMiB
		rep.Generator.PeakRSSMiB += r.Generator.PeakRSSMiB
		if r.Server != nil {
			// Every shard samples the same server: keep the busiest reading.
			if rep.Server == nil || r.Server.CPUCores > rep.Server.CPUCores {
				sv := *r.Server
				rep.Server = &sv
			}
		}
		if s.Viewers != nil {
			if vsm == nil {
				vsm = &ViewerSamples{}
			}
			if err := vsm.add(s.Viewers); err != nil {
				return nil, fmt.Errorf("shard %d: %w", s.Shard, err)
			}
		}
		if s.Bids != nil && r.Bids != nil {
			bids = append(bids, s)
		}
	}
	for _, s := range all {
		for _, t := range s.Report.ErrorTimes {
			rep.ErrorTimes = append(rep.ErrorTimes, t+s.Report.Started.Sub(rep.Started).Seconds())
		}
	}
	rep.Series = mergeSeries(all)
	if vsm != nil {
		sv, err := vsm.summary()
		if err != nil {
			return nil, err
		}
		if rep.Kind == "viewers" && rep.Server != nil && sv.Connected > 0 { // as RunViewers: the server does nothing else
			sv.ServerCPUPerViewerSecond = rep.Server.CPUCores * 1000 / float64(sv.Connected)
		}
		rep.Viewers = sv
		rep.samples().Viewers = vsm
	}
	if len(bids) > 0 {
		if err := mergeBids(ctx, rep, bids, cfg.DatabaseURL); err != nil {
			return nil, err
		}
	}
	mergeHotLots(rep, all)
	mergeBrowsers(rep, all)
	if rep.Viewers != nil {
		rep.Viewers.addKV(rep)
	}
	if rep.Browsers != nil {
		rep.Browsers.addKV(rep)
	}
	if rep.Bids != nil {
		rep.Bids.addKV(rep)
	}
	if rep.HotLot != nil {
		rep.HotLot.addKV(rep)
	}
	rep.add("shards", len(all))
	return rep, nil
}

// checkShards wants one file per shard of one run, all of the same kind.
func checkShards(all []*Samples) error {
	n := all[0].Shards
	seen := map[int]bool{}
	for _, s := range all {
		if s.Shards != n || s.Report.Kind != all[0].Report.Kind {
			return fmt.Errorf("merge: shard %d/%d (%s) is not of the same run as shard %d/%d (%s)",
				s.Shard, s.Shards, s.Report.Kind, all[0].Shard, n, all[0].Report.Kind)
		}
		if seen[s.Shard] {
			return fmt.Errorf("merge: shard %d/%d given twice", s.Shard, n)
		}
		seen[s.Shard] = true
	}
	if len(seen) != n {
		var missing []int
		for i := range n {
			if !seen[i] {
				missing = append(missing, i)
			}
		}
		return fmt.Errorf("merge: %d of %d shards; missing %v", len(seen), n, missing)
	}
	return nil
}

// mergeBids adds the shards' bid figures up and audits all their bids
// against one record.
func mergeBids(ctx context.Context, rep *Report, shards []*Samples, databaseURL string) error {
	out := &BidsSummary{}
	var ack, decision, lag, chatLag Histogram
	var sent []ClientBid
	rec := ServerRecord{Source: "api"}
	results := map[string]bool{}
	haveRecords := true
	for _, s := range shards {
		b, raw := s.Report.Bids, s.Bids
		out.Rooms += b.Rooms
		out.Bidders += b.Bidders
		out.Watchers += b.Watchers
		out.TargetRate += b.TargetRate
		out.Sent += b.Sent
		out.Acked += b.Acked
		out.Accepted += b.Accepted
		out.Rejected += b.Rejected
		out.Undecided += b.Undecided
		out.ErrorReplies += b.ErrorReplies
		out.SendFailures += b.SendFailures
		out.Skipped += b.Skipped
		out.NoLot += b.NoLot
		out.ChatSent += b.ChatSent
		out.LotsStarted += b.LotsStarted
		out.BidSeconds = max(out.BidSeconds, b.BidSeconds)
		out.Reasons = addCounts(out.Reasons, b.Reasons)
		out.ErrorCodes = addCounts(out.ErrorCodes, b.ErrorCodes)
		for k, v := range b.ErrorExamples {
			if out.ErrorExamples == nil {
				out.ErrorExamples = map[string]string{}
			}
			if _, ok := out.ErrorExamples[k]; !ok {
				out.ErrorExamples[k] = v
			}
		}
		for _, p := range []struct {
			h *Histogram
			d HistogramData
		}{{&ack, raw.Ack}, {&decision, raw.Decision}, {&lag, raw.Lag}, {&chatLag, raw.ChatLag}} {
			if err := p.h.Add(p.d); err != nil {
				return fmt.Errorf("shard %d: %w", s.Shard, err)
			}
		}
		sent = append(sent, raw.Sent...)
		if raw.Record == nil {
			haveRecords = false
			continue
		}
		rec.Source = raw.Record.Source
		rec.Bids = append(rec.Bids, raw.Record.Bids...)
		for _, r := range raw.Record.Results {
			if !results[r.LotID] {
				results[r.LotID] = true
				rec.Results = append(rec.Results, r)
			}
		}
	}
	out.Ack, out.Decision, out.Lag, out.ChatLag = quantilesOf(&ack), quantilesOf(&decision), quantilesOf(&lag), quantilesOf(&chatLag)
	if out.BidSeconds > 0 {
		out.AchievedRate = float64(out.Sent) / out.BidSeconds
	}
	rep.Bids = out
	rep.samples().Bids = &BidSamples{Ack: ack.Data(), Decision: decision.Data(), Lag: lag.Data(), ChatLag: chatLag.Data(), Sent: sent}
	switch {
	case databaseURL != "":
		lots := map[string]bool{}
		for _, c := range sent {
			if c.LotID != "" {
				lots[c.LotID] = true
			}
		}
		dbRec, err := recordFromDB(ctx, databaseURL, keys(lots))
		if err != nil {
			return fmt.Errorf("merge audit: %w", err)
		}
		rec = dbRec
	case !haveRecords:
		rep.Audit = &AuditResult{Source: rec.Source,
			Violations: []string{"a shard could not read the server's record: rerun the merge with -audit-db"}}
		return nil
	}
	sort.SliceStable(rec.Bids, func(i, j int) bool { return rec.Bids[i].Seq < rec.Bids[j].Seq })
	a := Audit(sent, rec)
	rep.Audit = &a
	return nil
}

func addCounts(dst, src map[string]int64) map[string]int64 {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = map[string]int64{}
	}
	for k, v := range src {
		dst[k] += v
	}
	return dst
}

// mergeSeries puts the shards' time series on one axis: the shards started
// at the same instant, so their points are matched by whole seconds since
// the earliest start. Counts and rates add up; latency percentiles of a
// second are the worst shard's (the per-second histograms are not kept);
// the server's figures are the busiest shard's reading.
func mergeSeries(all []*Samples) []Point {
	var t0 float64 = math.MaxFloat64
	for _, s := range all {
		t0 = math.Min(t0, float64(s.Report.Started.UnixNano())/1e9)
	}
	bySec := map[int]*Point{}
	for _, s := range all {
		off := float64(s.Report.Started.UnixNano())/1e9 - t0
		for _, p := range s.Report.Series {
			sec := int(math.Round(p.T + off))
			m := bySec[sec]
			if m == nil {
				m = &Point{T: float64(sec)}
				bySec[sec] = m
			}
			m.Viewers += p.Viewers
			m.WSConns += p.WSConns
			m.BidsPerSec += p.BidsPerSec
			m.AcceptedPS += p.AcceptedPS
			m.ChatPerSec += p.ChatPerSec
			m.GenCPU += p.GenCPU
			m.FwdP50, m.FwdP95, m.FwdP99 = max(m.FwdP50, p.FwdP50), max(m.FwdP95, p.FwdP95), max(m.FwdP99, p.FwdP99)
			m.AckP50, m.AckP95, m.AckP99 = max(m.AckP50, p.AckP50), max(m.AckP95, p.AckP95), max(m.AckP99, p.AckP99)
			m.LagP95 = max(m.LagP95, p.LagP95)
			m.DecP95, m.DecP99 = max(m.DecP95, p.DecP95), max(m.DecP99, p.DecP99)
			m.JitterMs, m.ProcessingMs = max(m.JitterMs, p.JitterMs), max(m.ProcessingMs, p.ProcessingMs)
			m.ServerCPU, m.ServerRSSMiB = max(m.ServerCPU, p.ServerCPU), max(m.ServerRSSMiB, p.ServerRSSMiB)
		}
	}
	out := make([]Point, 0, len(bySec))
	for _, p := range bySec {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].T < out[j].T })
	return out
}
