package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// SamplesSchema names the version of the raw samples file.
const SamplesSchema = "bidcast.loadtest.samples/v1"

// Samples is what one generator (a shard of a distributed run, or a whole
// run) writes with -samples: its own report and the raw material a merge
// needs to recompute every figure over all shards: histograms rather than
// percentiles, sums rather than ratios, and the audit's records (the bids
// it sent and its view of the server's record).
type Samples struct {
	Schema  string    `json:"schema"`
	Shard   int       `json:"shard"`
	Shards  int       `json:"shards"`
	StartAt time.Time `json:"start_at,omitzero"`
	// Report is the shard's own report (its summaries, series, server and
	// generator figures).
	Report  *Report        `json:"report"`
	Viewers *ViewerSamples `json:"viewers,omitempty"`
	Bids    *BidSamples    `json:"bids,omitempty"`
	// Browsers is the browser swarm's raw figures (browsers runs).
	Browsers *BrowserSamples `json:"browsers,omitempty"`
	// HotLot is the stormed lots with every storm bid (hotlot runs).
	HotLot []HotLot `json:"hot_lot,omitempty"`
}

// BidSamples are a bid swarm's latency histograms and audit records.
type BidSamples struct {
	Ack      HistogramData `json:"ack"`
	Decision HistogramData `json:"decision"`
	Lag      HistogramData `json:"lag"`
	ChatLag  HistogramData `json:"chat_lag"`
	// Sent is every bid the shard's clients sent, as they know it.
	Sent []ClientBid `json:"sent"`
	// Record is the server's record as the shard read it through the API
	// (its bidders' bids, its lots' results); nil when the shard could not
	// read it or audited against the database, which merge can reread.
	Record *ServerRecord `json:"record,omitempty"`
}

// samples returns the report's raw samples, starting them if needed.
func (r *Report) samples() *Samples {
	if r.raw == nil {
		r.raw = &Samples{Schema: SamplesSchema, Shards: 1}
	}
	return r.raw
}

// snapshotBidSamples keeps the swarm's histograms in the report's raw
// samples, read with the summary's counters so the two agree.
func (s *bidSwarm) snapshotBidSamples() {
	st := &s.stats
	s.rep.samples().Bids = &BidSamples{Ack: st.ack.Data(), Decision: st.decision.Data(), Lag: st.lag.Data(),
		ChatLag: st.chatLag.Data()}
}

// keepBidSamples adds the audit's records to the raw samples.
func (s *bidSwarm) keepBidSamples(sent []ClientBid, rec *ServerRecord) {
	raw := s.rep.samples()
	if raw.Bids == nil {
		s.snapshotBidSamples()
	}
	raw.Bids.Sent, raw.Bids.Record = sent, rec
}

// WriteSamples writes the report's raw samples to path (a file, or
// s3://bucket/key with S3FromEnv's credentials), marked as shard (the whole
// run when shard.Count is 1).
func (r *Report) WriteSamples(path string, shard Shard, startAt time.Time) error {
	raw := *r.samples()
	raw.Shard, raw.Shards, raw.StartAt, raw.Report = shard.Index, max(1, shard.Count), startAt, r
	b, err := json.Marshal(&raw)
	if err != nil {
		return fmt.Errorf("encode samples: %w", err)
	}
	b = append(b, '\n')
	if isS3URL(path) {
		return s3Do(path, func(ctx context.Context, s *S3, bucket, key string) error { return s.Put(ctx, bucket, key, b) })
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write samples: %w", err)
	}
	return nil
}

// s3Do runs f on an s3:// path with credentials from the environment.
func s3Do(path string, f func(ctx context.Context, s *S3, bucket, key string) error) error {
	bucket, key, err := parseS3URL(path)
	if err != nil {
		return err
	}
	s, err := S3FromEnv()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return f(ctx, s, bucket, key)
}

// expandSamples turns s3://bucket/prefix/ (ending in a slash) into every
// .json object under it; other paths stay as they are.
func expandSamples(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		if !isS3URL(p) || !strings.HasSuffix(p, "/") {
			out = append(out, p)
			continue
		}
		err := s3Do(p, func(ctx context.Context, s *S3, bucket, prefix string) error {
			keys, err := s.List(ctx, bucket, prefix)
			for _, k := range keys {
				if strings.HasSuffix(k, ".json") {
					out = append(out, "s3://"+bucket+"/"+k)
				}
			}
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ReadSamples reads a samples file (a path, or s3://bucket/key).
func ReadSamples(path string) (*Samples, error) {
	var b []byte
	var err error
	if isS3URL(path) {
		err = s3Do(path, func(ctx context.Context, s *S3, bucket, key string) error {
			b, err = s.Get(ctx, bucket, key)
			return err
		})
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read samples: %w", err)
	}
	var s Samples
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("parse samples %s: %w", path, err)
	}
	if s.Schema != SamplesSchema {
		return nil, fmt.Errorf("%s: schema %q, want %q", path, s.Schema, SamplesSchema)
	}
	if s.Report == nil {
		return nil, fmt.Errorf("%s: no report", path)
	}
	return &s, nil
}
