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

// IngressConfig tunes Submit.
type IngressConfig struct {
	// Now, when set, replaces the Redis server's clock as the receive
	// clock (tests drive it with a fake clock). Nil, the default, stamps
	// each bid with Redis TIME inside the sequencing script, so that one
	// clock stamps every bid of a room, whichever node received it, and
	// the stamp is taken in the same atomic step as the sequence number.
	Now func() time.Time
	// DedupeTTL is how long a room remembers the (bidder, bid_id) keys it
	// has sequenced.
	// Zero means 48 hours, longer than any show.
	DedupeTTL time.Duration
	// Stages, when set, records the time of the script.
	Stages *Stages
	// BannedSet, when set, names the Redis set of the user IDs a room has
	// banned; the ingress script refuses their new bids (ErrBidderBanned)
	// in the same step as it would sequence them, so the gateway needs
	// no read of its own and a ban takes effect between two bids.
	BannedSet func(roomID string) string
	// TaskBackstop is how far ahead each bid's Asynq task is scheduled
	// (bidtask.go), in whole seconds. Zero means 2 s.
	TaskBackstop time.Duration
	// Waker, when set, is asked to wake a room whose bid found nobody
	// holding its lease (parked, or between owners); see park.go.
	Waker Waker
	// Local, when set, is the node this Ingress runs on: bids to the rooms
	// it owns are nudged in the process, not through Redis (LocalRooms).
	Local LocalRooms
}

// Receipt tells the submitter what happened at ingress.
type Receipt struct {
	// Bid is the bid as sequenced: ReceivedAt and Seq are set (for a
	// duplicate, Seq only: the original's number).
	Bid Bid
	// Duplicate is true when the bidder had submitted the bid_id before; Seq is
	// then the original sequence number and Outcome the original outcome
	// (pending if it has not been applied yet).
	Duplicate bool
	Outcome   Outcome
}

// Ingress takes bids from the gateway and puts them on their room's queue.
// It is safe for concurrent use.
type Ingress struct {
	rdb redis.UniversalClient
	// sequence runs the sequencing script, concurrent bids' in one
	// pipeline when Redis is busy.
	sequence *scriptBatcher
	outcomes *Outcomes
	cfg      IngressConfig
}

// NewIngress returns an Ingress over rdb, which also holds the rooms' Asynq
// queues (the script writes each bid's task there).
func NewIngress(rdb redis.UniversalClient, outcomes *Outcomes, cfg IngressConfig) *Ingress {
	if cfg.DedupeTTL == 0 {
		cfg.DedupeTTL = 48 * time.Hour
	}
	if cfg.TaskBackstop < time.Second {
		cfg.TaskBackstop = bidTaskBackstop
	}
	return &Ingress{rdb: rdb, sequence: newScriptBatcher(rdb, sequenceScript, ingressLanes), outcomes: outcomes, cfg: cfg}
}

// ingressLanes is how many pipelines of sequencing scripts a node keeps in
// flight before bids wait to share the next one (scriptBatcher).
const ingressLanes = 2

// sequenceScript deduplicates by (bidder, bid_id), takes the next ingress
// sequence number, stamps the receive time, appends the bid to the room's
// log, schedules its backstop task on the room's Asynq queue (bidtask.go)
// and nudges the owner ("seq µs"), all in one atomic step: a bid is never
// sequenced twice and never has a number without a log entry and a task.
//
// The receive time is the Redis server's TIME (or ARGV[5], microseconds,
// when the Ingress has a clock of its own), raised to the room's last
// stamp if the clock stepped back: a later sequence number never carries
// an earlier receive time, so ingress order and receive order agree. The
// log entry is the bid's JSON with "received_us" put in front and the
// sequence number ("seq") at the end; the task's payload is the same entry.
//
// KEYS: seq counter, bid key → seq hash, seq → bid log hash, last stamp,
// lease, the task's hash, the queue's scheduled set, Asynq's queue set,
// the room's ended mark, the room's banned set (when ARGV[10] is set).
// ARGV: bid key (bidKey, also the task ID), payload (a JSON object), nudge
// channel, dedupe TTL seconds, receive time in µs or "" for TIME, task
// message head and tail (bidTaskMessage), queue name, backstop seconds,
// the bidder's ID to look up in the banned set or "" for no ban check, the
// caller's lease holder value or "" (LocalRooms).
// Returns {1, seq, µs, owned, here} for a new bid, {0, seq, 0, owned} for a
// duplicate, {-1, 0, 0, owned} for a new bid in a room that has ended,
// {-2, 0, 0, owned} for one from a banned bidder; owned is 0 when nobody
// holds the room's lease (parked: wake it), here is 1 when the caller holds
// it, and then the nudge is the caller's to deliver (not published).
var sequenceScript = redis.NewScript(`
local lease = redis.call('GET', KEYS[5])
local owned = 0
if lease then
  owned = 1
end
local existing = redis.call('HGET', KEYS[2], ARGV[1])
if existing then
  return {0, tonumber(existing), 0, owned}
end
if redis.call('EXISTS', KEYS[9]) == 1 then
  return {-1, 0, 0, owned}
end
if ARGV[10] ~= '' and redis.call('SISMEMBER', KEYS[10], ARGV[10]) == 1 then
  return {-2, 0, 0, owned}
end
local t = redis.call('TIME')
local us = tonumber(ARGV[5])
if not us then
  us = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local last = tonumber(redis.call('GET', KEYS[4]) or '0')
if us < last then
  us = last
end
local stamp = string.format('%d', us)
redis.call('SET', KEYS[4], stamp, 'EX', ARGV[4])
local seq = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], ARGV[1], seq)
redis.call('EXPIRE', KEYS[2], ARGV[4])
local entry = '{"received_us":' .. stamp .. ',' .. string.sub(ARGV[2], 2, -2) .. ',"seq":' .. seq .. '}'
redis.call('HSET', KEYS[3], seq, entry)
redis.call('EXPIRE', KEYS[3], ARGV[4])
if redis.call('EXISTS', KEYS[6]) == 0 then
  local n, len = #entry, ''
  while n >= 128 do
    len = len .. string.char(n % 128 + 128)
    n = math.floor(n / 128)
  end
  len = len .. string.char(n)
  redis.call('HSET', KEYS[6], 'msg', ARGV[6] .. '\18' .. len .. entry .. ARGV[7], 'state', 'scheduled')
  redis.call('ZADD', KEYS[7], tonumber(t[1]) + tonumber(ARGV[9]), ARGV[1])
  redis.call('SADD', KEYS[8], ARGV[8])
end
if ARGV[11] ~= '' and lease == ARGV[11] then
  return {1, seq, us, owned, 1}
end
redis.call('PUBLISH', ARGV[3], seq .. ' ' .. stamp)
return {1, seq, us, owned, 0}
`)

// Submit validates b, stamps it and puts it on its room's queue. It returns
// once the bid is durable in Redis; the outcome follows on the room's events
// channel and through Outcomes. A bid_id the same bidder submitted before
// is not bid again: the receipt carries the original sequence number and
// outcome. Another bidder's bid with the same bid_id is a bid of its own.
func (in *Ingress) Submit(ctx context.Context, b Bid) (Receipt, error) {
	b.Seq = 0
	if err := b.Validate(); err != nil {
		return Receipt{}, err
	}
	// One spelling per ID: an upper-case room ID would name a queue nobody
	// serves, an upper-case lot ID would not match the live lot.
	b.RoomID, b.LotID, b.BidderID = strings.ToLower(b.RoomID), strings.ToLower(b.LotID), strings.ToLower(b.BidderID)
	// The script stamps the receive time; the log entry carries it as
	// received_us (see sequenceScript), which this version reads. The
	// received_at of this node's clock stays in the entry for nodes of
	// the version before, which read only that.
	at := ""
	if in.cfg.Now != nil {
		b.ReceivedAt = in.cfg.Now().UTC()
		at = strconv.FormatInt(b.ReceivedAt.UnixMicro(), 10)
	} else {
		b.ReceivedAt = time.Now().UTC()
	}
	payload, err := json.Marshal(b)
	if err != nil {
		return Receipt{}, fmt.Errorf("encode bid %s: %w", b.BidID, err)
	}
	key := bidKey(b.BidderID, b.BidID)
	head, tail := bidTaskMessage(b.RoomID, key)
	bans, bidder := noBansKey(b.RoomID), ""
	if in.cfg.BannedSet != nil {
		bans, bidder = in.cfg.BannedSet(b.RoomID), b.BidderID
	}
	holder := ""
	if in.cfg.Local != nil {
		holder = in.cfg.Local.Holder()
	}
	start := time.Now()
	res, err := in.sequence.run(ctx,
		[]string{seqKey(b.RoomID), bidIDsKey(b.RoomID), logKey(b.RoomID), receivedKey(b.RoomID), leaseKey(b.RoomID),
			asynqTaskPrefix(b.RoomID) + key, asynqScheduledKey(b.RoomID), asynqAllQueues, endedKey(b.RoomID), bans},
		key, payload, nudgeChannel(b.RoomID), int64(in.cfg.DedupeTTL/time.Second), at,
		head, tail, QueueName(b.RoomID), int64(in.cfg.TaskBackstop/time.Second), bidder, holder)
	if err != nil {
		return Receipt{}, fmt.Errorf("sequence bid %s: %w", b.BidID, err)
	}
	in.cfg.Stages.since(StageIngressScript, start)
	switch res[0] {
	case -1:
		return Receipt{}, fmt.Errorf("bid %s in room %s: %w", b.BidID, b.RoomID, ErrRoomEnded)
	case -2:
		return Receipt{}, fmt.Errorf("bid %s in room %s: %w", b.BidID, b.RoomID, ErrBidderBanned)
	}
	fresh, seq := res[0] == 1, res[1]
	b.Seq = seq
	if fresh && len(res) > 4 && res[4] == 1 {
		in.nudgeHere(ctx, b.RoomID, seq, res[2])
	}
	if res[3] == 0 && in.cfg.Waker != nil {
		// Decided by its receive time once the room runs, within ms.
		in.cfg.Waker.Wake(b.RoomID)
	}
	if !fresh {
		out, err := in.outcomes.Get(ctx, b.RoomID, b.BidderID, b.BidID)
		if err != nil {
			return Receipt{}, fmt.Errorf("look up duplicate bid %s: %w", b.BidID, err)
		}
		return Receipt{Bid: b, Duplicate: true, Outcome: out}, nil
	}
	b.ReceivedAt = time.UnixMicro(res[2]).UTC()
	return Receipt{Bid: b, Outcome: outcomeOf(b)}, nil
}
