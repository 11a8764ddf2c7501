package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/bidcast/bidcast/internal/jsonenc"
)

// Event is one event of a room as every gateway node sees it: bid
// outcomes, price and clock changes, lot changes, moderation. Seq is assigned
// by Redis when the event is published (above every seq the publishing node
// has seen, see seqFloors), so it is gap-free and keeps rising
// across restarts and changes of owner; gateways use it to spot gaps and to
// resume a client.
type Event struct {
	Seq    int64     `json:"seq"`
	Type   string    `json:"type"`
	RoomID string    `json:"room_id"`
	At     time.Time `json:"at"`
	// To, when set, is the only user the event is for (a bid's own outcome,
	// say); gateways deliver it to that user's connections only.
	To string `json:"to,omitempty"`
	// Except, when set, is the one user the event is not for: they get
	// their own copy of it (a bid's outcome, with its bid_id) as a
	// separate event with To set.
	Except string `json:"except,omitempty"`
	// Data is the event's payload, valid JSON as json.Marshal writes it;
	// the log stores it as given.
	Data json.RawMessage `json:"data"`
}

// For reports whether the event may be shown to userID ("" for a
// connection with no user).
func (ev Event) For(userID string) bool {
	if ev.To != "" && ev.To != userID {
		return false
	}
	return ev.Except == "" || ev.Except != userID
}

// Channel is the Redis pub/sub channel on which a room's events (bid
// outcomes, clock changes, lot changes, chat) reach every gateway node.
func Channel(roomID string) string { return "bidcast:{" + roomID + "}:events" }

func eventSeqKey(roomID string) string    { return "bidcast:{" + roomID + "}:evseq" }
func eventStreamKey(roomID string) string { return "bidcast:{" + roomID + "}:evlog" }

// Retention is how many recent events a room keeps for resuming
// clients; a client further behind gets a fresh snapshot instead.
const Retention = 2000

// publishScript numbers an event, appends it to the room's capped stream
// (entry ID "<seq>-0"), optionally replaces the room's snapshot (and
// records the event's seq as the one it is current as of), and publishes
// it, in one step. The number is above the floor even if the counter went
// back (seqFloors).
//
// KEYS: event counter, stream, snapshot, snapshot's seq. ARGV: event JSON
// with "seq":0 placeholder removed by the caller (the script splices the
// number in), channel, snapshot JSON (or ""), stream cap, floor.
var publishScript = redis.NewScript(`
local seq = redis.call('INCR', KEYS[1])
local floor = tonumber(ARGV[5]) or 0
if seq <= floor then
  seq = floor + 1
  redis.call('SET', KEYS[1], seq)
end
local ev = '{"seq":' .. seq .. ',' .. string.sub(ARGV[1], 2)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], seq .. '-0', 'e', ev)
if ARGV[3] ~= '' then
  redis.call('SET', KEYS[3], ARGV[3])
  redis.call('SET', KEYS[4], seq)
end
redis.call('PUBLISH', ARGV[2], ev)
return seq
`)

// Log publishes and reads a room's events. The owner node's bid pipeline
// publishes the room actor's events to it and gateways publish chat; every
// gateway follows it (Channel) and resumes clients from it (Since).
type Log interface {
	// Publish numbers ev, stores it for resumption and sends it to every
	// gateway node. When snapshot is not nil it becomes the room's current
	// snapshot in the same step, current as of ev. It returns the assigned
	// sequence number.
	Publish(ctx context.Context, ev Event, snapshot any) (int64, error)
	// PutSnapshot replaces the room's snapshot on its own, current as of
	// the room's latest event, and returns that event's seq.
	PutSnapshot(ctx context.Context, roomID string, snapshot any) (int64, error)
	// Since returns the room's events after afterSeq, oldest first (at most
	// limit), or ErrTooFarBehind when they are no longer kept.
	Since(ctx context.Context, roomID string, afterSeq, limit int64) ([]Event, error)
	// LastSeq returns the sequence number of the room's latest event.
	LastSeq(ctx context.Context, roomID string) (int64, error)
	// Snapshot returns the room's stored snapshot JSON (nil if none) and
	// the seq of the last event it includes (0 when not recorded).
	Snapshot(ctx context.Context, roomID string) (json.RawMessage, int64, error)
	// SnapshotSeq returns that seq alone.
	SnapshotSeq(ctx context.Context, roomID string) (int64, error)
	// Observe records that this node relayed the room's event seq, so its
	// own later publishes to the room are numbered above it.
	Observe(roomID string, seq int64)
}

var _ Log = (*RedisLog)(nil)

// RedisLog is the Log on Redis: per room, a counter numbers the events, a
// capped stream keeps the last Retention of them, one key holds the
// snapshot, and a pub/sub channel (Channel) carries each event to every
// node, all written by one script so they never disagree. It is safe for
// concurrent use.
type RedisLog struct {
	rdb    redis.UniversalClient
	floors seqFloors
}

// NewRedisLog returns a RedisLog over rdb.
func NewRedisLog(rdb redis.UniversalClient) *RedisLog { return &RedisLog{rdb: rdb} }

// Publish numbers ev, stores it for resumption and sends it to every gateway
// node. When snapshot is not nil it becomes the room's current snapshot in
// the same step, so a joining client never sees a snapshot older than the
// events after it. It returns the assigned sequence number.
func (l *RedisLog) Publish(ctx context.Context, ev Event, snapshot any) (int64, error) {
	body, err := encodeEvent(ev)
	if err != nil {
		return 0, err
	}
	snap := ""
	if snapshot != nil {
		b, err := json.Marshal(snapshot)
		if err != nil {
			return 0, fmt.Errorf("encode snapshot of room %s: %w", ev.RoomID, err)
		}
		snap = string(b)
	}
	seq, err := publishScript.Run(ctx, l.rdb,
		publishKeys(ev.RoomID), body, Channel(ev.RoomID), snap, Retention, l.floors.get(ev.RoomID)).Int64()
	if err != nil {
		return 0, fmt.Errorf("publish %s event of room %s: %w", ev.Type, ev.RoomID, err)
	}
	l.floors.raise(ev.RoomID, seq)
	return seq, nil
}

// ErrTooFarBehind means the events after the given sequence number are no
// longer kept; the client needs a fresh snapshot.
var ErrTooFarBehind = errors.New("events no longer kept; take a snapshot")

// Since returns the room's events after seq, oldest first (at most limit).
func (l *RedisLog) Since(ctx context.Context, roomID string, seq, limit int64) ([]Event, error) {
	msgs, err := l.rdb.XRangeN(ctx, eventStreamKey(roomID), "("+strconv.FormatInt(seq, 10)+"-0", "+", limit).Result()
	if err != nil {
		return nil, fmt.Errorf("read events of room %s after %d: %w", roomID, seq, err)
	}
	out := make([]Event, 0, len(msgs))
	for _, m := range msgs {
		ev, err := Decode(fmt.Sprint(m.Values["e"]))
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	if len(out) > 0 {
		l.floors.raise(roomID, out[len(out)-1].Seq)
	}
	if len(out) > 0 && out[0].Seq != seq+1 {
		return nil, ErrTooFarBehind
	}
	if len(out) == 0 {
		last, err := l.LastSeq(ctx, roomID)
		if err != nil {
			return nil, err
		}
		if last > seq {
			return nil, ErrTooFarBehind
		}
	}
	return out, nil
}

// LastSeq returns the sequence number of the room's latest event.
func (l *RedisLog) LastSeq(ctx context.Context, roomID string) (int64, error) {
	seq, err := l.readSeq(ctx, eventSeqKey(roomID), "event sequence", roomID)
	l.floors.raise(roomID, seq)
	return seq, err
}

// readSeq reads the sequence number at key, 0 when it is not there.
func (l *RedisLog) readSeq(ctx context.Context, key, what, roomID string) (int64, error) {
	n, err := l.rdb.Get(ctx, key).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s of room %s: %w", what, roomID, err)
	}
	return n, nil
}

// Decode parses an event as published on Channel.
func Decode(s string) (Event, error) {
	var ev Event
	if err := json.Unmarshal([]byte(s), &ev); err != nil {
		return Event{}, fmt.Errorf("decode room event: %w", err)
	}
	return ev, nil
}

// encodeEvent is ev as the log stores it (an event without data carries {}).
// ev.Data is stored as given: it must be valid JSON, as every publisher's
// is (json.Marshal's output, compact and HTML-escaped), and gateways
// refuse an event that is not.
// The fixed shape is written by hand: json.Marshal would compact and
// re-validate the data of every event a storm publishes (~3 % of the
// server's CPU at 3,000 bids/s).
func encodeEvent(ev Event) ([]byte, error) {
	if len(ev.Data) == 0 {
		ev.Data = json.RawMessage("{}")
	}
	b := make([]byte, 0, 112+len(ev.Type)+len(ev.RoomID)+len(ev.To)+len(ev.Except)+len(ev.Data))
	b = append(b, `{"type":`...)
	b = jsonenc.String(b, ev.Type)
	b = append(b, `,"room_id":`...)
	b = jsonenc.String(b, ev.RoomID)
	b = append(b, `,"at":`...)
	b, ok := jsonenc.Time(b, ev.At)
	if !ok {
		return nil, fmt.Errorf("encode %s event: time %v out of range", ev.Type, ev.At)
	}
	if ev.To != "" {
		b = append(b, `,"to":`...)
		b = jsonenc.String(b, ev.To)
	}
	if ev.Except != "" {
		b = append(b, `,"except":`...)
		b = jsonenc.String(b, ev.Except)
	}
	b = append(b, `,"data":`...)
	b = append(b, ev.Data...)
	return append(b, '}'), nil
}
