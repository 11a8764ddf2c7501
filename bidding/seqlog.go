package bidding

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The sequencer's side of the room's Redis log: reading a batch, and
// queueing the outcomes and log trims that follow it.

// takeScript returns the room's sequence counter followed by the log
// entries numbered ARGV[1] up to the counter, at most ARGV[2] of them (nil
// for a missing entry): every bid already sequenced, in one call.
//
// KEYS: seq counter, log hash. ARGV: first sequence number, limit.
var takeScript = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local from = tonumber(ARGV[1])
local to = math.min(cur, from + tonumber(ARGV[2]) - 1)
if to < from then
  return {cur}
end
local fields = {}
for i = from, to do
  fields[#fields + 1] = tostring(i)
end
local vals = redis.call('HMGET', KEYS[2], unpack(fields))
table.insert(vals, 1, cur)
return vals
`)

// take reads the next batch from the log: the bids present, and the last
// sequence number the batch covers (next-1 when nothing is sequenced). The
// outcomes and log trims that finish queued (if any) go out in the same
// round trip.
func (s *sequencer) take(ctx context.Context) ([]Bid, int64, error) {
	pipe := s.pending
	s.pending = nil
	if pipe == nil {
		pipe = s.rdb.Pipeline()
	}
	keys := []string{seqKey(s.roomID), logKey(s.roomID)}
	cmd := takeScript.EvalSha(ctx, pipe, keys, s.next, maxBatch)
	start := time.Now()
	cmds, _ := pipe.Exec(ctx)
	s.stages.since(StageRead, start)
	for _, c := range cmds[:len(cmds)-1] {
		if err := c.Err(); err != nil {
			s.log.Warn("storing outcomes or trimming the ingress log failed", "next", s.next, "err", err)
			break
		}
	}
	vals, err := cmd.Slice()
	if err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
		vals, err = takeScript.Run(ctx, s.rdb, keys, s.next, maxBatch).Slice()
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read ingress log of room %s from %d: %w", s.roomID, s.next, err)
	}
	bids := make([]Bid, 0, len(vals)-1)
	for i, v := range vals[1:] {
		seq := s.next + int64(i)
		raw, ok := v.(string)
		if !ok {
			// Sequenced with its log entry in one script, so a missing
			// entry means Redis lost it; nobody was told it was accepted.
			s.log.Warn("ingress log entry missing; skipping", "seq", seq)
			continue
		}
		b, err := decodeLogEntry(raw)
		if err != nil {
			return nil, 0, fmt.Errorf("decode ingress log entry %d: %w", seq, err)
		}
		b.Seq = seq
		bids = append(bids, b)
	}
	return bids, s.next + int64(len(vals)-1) - 1, nil
}

// logEntry is a bid as the sequencing script logs it: the bid's JSON with
// the receive time the script stamped, in microseconds.
type logEntry struct {
	Bid
	ReceivedUS int64 `json:"received_us"`
}

// decodeLogEntry reads a log entry. An entry without received_us (logged
// by an older node) keeps the received_at its ingress stamped.
func decodeLogEntry(raw string) (Bid, error) {
	var e logEntry
	if err := json.Unmarshal([]byte(raw), &e); err != nil {
		return Bid{}, err
	}
	if e.ReceivedUS > 0 {
		e.Bid.ReceivedAt = time.UnixMicro(e.ReceivedUS).UTC()
	}
	return e.Bid, nil
}

// finish queues the outcomes, the removal of the log entries next..last
// and of the bids' backstop tasks for the next take, which sends them in its own round trip, and moves next
// past last. Both are caches of what the applier made durable (Outcomes
// falls back to Postgres), so a failure to store them is logged, not
// retried.
func (s *sequencer) finish(ctx context.Context, bids []Bid, outs []Outcome, last int64) error {
	if s.pending == nil {
		s.pending = s.rdb.Pipeline()
	}
	pipe := s.pending
	for i := range outs {
		if err := s.outcomes.queue(ctx, pipe, outs[i]); err != nil {
			s.log.Warn("caching outcome failed", "bid_id", outs[i].BidID, "err", err)
		}
	}
	fields := make([]string, 0, last-s.next+1)
	for seq := s.next; seq <= last; seq++ {
		fields = append(fields, strconv.FormatInt(seq, 10))
	}
	if len(fields) > 0 {
		pipe.HDel(ctx, logKey(s.roomID), fields...)
	}
	queueDropTasks(ctx, pipe, s.roomID, bids)
	for _, b := range bids {
		s.recent[b.Seq] = bidKey(b.BidderID, b.BidID)
	}
	for ; len(s.recent) > recentBids; s.oldest++ {
		delete(s.recent, s.oldest)
	}
	s.setNext(last + 1)
	return nil
}

// flush sends what finish queued, on its own.
func (s *sequencer) flush(ctx context.Context) {
	if s.pending == nil {
		return
	}
	if _, err := s.pending.Exec(ctx); err != nil {
		s.log.Warn("storing outcomes or trimming the ingress log failed", "next", s.next, "err", err)
	}
	s.pending = nil
}

// parseNudge splits a nudge message "seq µs" published by Submit (µs is
// the bid's receive stamp; older nodes sent "seq" or "seq payload", whose
// stamp is 0).
func parseNudge(msg string) (seq, stampUS int64, ok bool) {
	head, tail, _ := strings.Cut(msg, " ")
	seq, err := strconv.ParseInt(head, 10, 64)
	if err != nil || seq <= 0 {
		return 0, 0, false
	}
	stampUS, err = strconv.ParseInt(tail, 10, 64)
	if err != nil || stampUS < 0 {
		stampUS = 0
	}
	return seq, stampUS, true
}
