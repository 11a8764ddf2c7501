package loadtest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Shard is one generator's part of a distributed run: any job runner (a
// Kubernetes Indexed Job, Nomad, ssh in a loop, GNU parallel) starts the
// same command on N machines with -shard i/N and the same -start-at; each
// takes its slice of the load and writes its raw samples for `loadtest
// merge`. Shards need no coordinator and no clock agreement beyond the
// start instant: every latency is measured inside one shard (send and
// receive on the same clock).
//
// Rooms are dealt out, room j to shard j mod N, so each room's seller, its
// publisher and its audit live in one shard; bidders, watchers, viewers and
// rates are divided, shard i taking total/N plus one of the remainder when
// i < total mod N, so the shards add up to exactly the single-process load.
type Shard struct {
	Index, Count int
}

// ParseShard reads "i/N" (0 ≤ i < N); "" is the whole run (0/1).
func ParseShard(s string) (Shard, error) {
	if s == "" {
		return Shard{0, 1}, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || n > 1000 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("shard %q: want i/N with 0 ≤ i < N ≤ 1000", s)
	}
	return Shard{i, n}, nil
}

// String is "i/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Whole reports whether the shard is the whole run.
func (s Shard) Whole() bool { return s.Count <= 1 }

// Part is this shard's share of total things.
func (s Shard) Part(total int) int {
	if s.Whole() {
		return total
	}
	n := total / s.Count
	if s.Index < total%s.Count {
		n++
	}
	return n
}

// Rate is this shard's share of a rate.
func (s Shard) Rate(r float64) float64 {
	if s.Whole() {
		return r
	}
	return r / float64(s.Count)
}

// Rooms returns this shard's rooms (room j goes to shard j mod N).
func (s Shard) Rooms(rooms []RoomInfo) ([]RoomInfo, error) {
	if s.Whole() {
		return rooms, nil
	}
	if len(rooms) < s.Count {
		return nil, fmt.Errorf("shard %s: %d rooms for %d shards; each shard needs a room of its own (create at least %d)",
			s, len(rooms), s.Count, s.Count)
	}
	var out []RoomInfo
	for j, r := range rooms {
		if j%s.Count == s.Index {
			out = append(out, r)
		}
	}
	return out, nil
}

// Scenario returns this shard's part of a scenario and its rooms: its
// share of the scenario's rooms (video rooms first, as RunScenario
// expects), of the bidders, watchers and rates; the viewers per video room
// stay as they are (the rooms are divided), and the spike's viewers go
// with the first video room, the spike's watchers are divided.
func (s Shard) Scenario(sc *Scenario, rooms []RoomInfo) (*Scenario, []RoomInfo, error) {
	if s.Whole() {
		return sc, rooms, nil
	}
	if len(rooms) < sc.Rooms {
		return nil, nil, fmt.Errorf("scenario %q needs %d rooms, the rooms file has %d", sc.Name, sc.Rooms, len(rooms))
	}
	mine, err := s.Rooms(rooms[:sc.Rooms])
	if err != nil {
		return nil, nil, err
	}
	out := *sc
	out.Rooms = len(mine)
	out.Video.Rooms = 0
	for j := s.Index; j < sc.Video.Rooms; j += s.Count {
		out.Video.Rooms++
	}
	out.Bids.Bidders, out.Bids.Watchers = s.Part(sc.Bids.Bidders), s.Part(sc.Bids.Watchers)
	out.Bids.Rate, out.Chat.Rate = s.Rate(sc.Bids.Rate), s.Rate(sc.Chat.Rate)
	out.Spike.Watchers = s.Part(sc.Spike.Watchers)
	if s.Index != 0 { // room 0, the first video room, is shard 0's
		out.Spike.Viewers = 0
	}
	if err := out.Validate(); err != nil {
		return nil, nil, fmt.Errorf("shard %s of scenario %q: %w", s, sc.Name, err)
	}
	return &out, mine, nil
}

// waitStart waits for the agreed start instant (zero: start now). A start
// already past by more than a second is an error: the shard would not
// overlap the others.
func waitStart(ctx context.Context, at time.Time) error {
	if at.IsZero() {
		return nil
	}
	d := time.Until(at)
	if d < -time.Second {
		return fmt.Errorf("start-at %s passed %s ago (before this shard was ready): give the shards more time",
			at.Format(time.RFC3339), (-d).Round(time.Millisecond))
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ParseStartAt reads -start-at: an RFC 3339 time, or "" for now.
func ParseStartAt(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("start-at: want an RFC 3339 time such as 2026-12-05T20:00:00Z: %w", err)
	}
	return t, nil
}

// errNoSamples is returned by merge when it is given no shard files.
var errNoSamples = errors.New("merge: no sample files")
