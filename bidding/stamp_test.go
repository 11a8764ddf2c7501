package bidding

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
)

// The receive time of a bid is stamped inside the sequencing script, in the
// same atomic step as its sequence number: these tests hold ingress order
// and receive order together.

// readLog returns the room's logged bids in sequence order, as the room's
// sequencer reads them.
func readLog(t testing.TB, room string) []Bid {
	t.Helper()
	s := newSequencer(room, 1, testRedis(t), nil, nil, quietLog())
	bids, _, err := s.take(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return bids
}

// checkStampsAgree fails unless the logged bids are numbered 1..n with
// non-decreasing receive times, and each receipt's receive time is the
// logged one.
func checkStampsAgree(t testing.TB, logged []Bid, receipts map[int64]Receipt) {
	t.Helper()
	for i, b := range logged {
		if b.Seq != int64(i+1) {
			t.Fatalf("log entry %d has seq %d", i, b.Seq)
		}
		if b.ReceivedAt.IsZero() {
			t.Fatalf("bid %d has no receive time", b.Seq)
		}
		if i > 0 && b.ReceivedAt.Before(logged[i-1].ReceivedAt) {
			t.Fatalf("bid %d received at %v, before bid %d at %v", b.Seq, b.ReceivedAt, logged[i-1].Seq,
				logged[i-1].ReceivedAt)
		}
		if rc, ok := receipts[b.Seq]; ok && !rc.Bid.ReceivedAt.Equal(b.ReceivedAt) {
			t.Fatalf("bid %d: receipt says received at %v, log %v", b.Seq, rc.Bid.ReceivedAt, b.ReceivedAt)
		}
	}
}

// TestReceiveTimeIsRedisTime: without a clock of its own, Submit stamps
// each bid with the Redis server's TIME, taken between the Redis times read
// before and after; concurrent submitters get receive times in ingress
// order.
func TestReceiveTimeIsRedisTime(t *testing.T) {
	ctx := context.Background()
	rdb := testRedis(t)
	room, lot := newUUID(), newUUID()
	in := NewIngress(rdb, NewOutcomes(rdb, nil), IngressConfig{})
	t.Cleanup(func() { deleteQueue(t, rdb, room) })
	before, err := rdb.Time(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		receipts = map[int64]Receipt{}
		wg       sync.WaitGroup
	)
	const workers, each = 8, 25
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				rc, err := in.Submit(ctx, sampleBid(room, lot, w*each+i))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				receipts[rc.Bid.Seq] = rc
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	after, err := rdb.Time(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	logged := readLog(t, room)
	if len(logged) != workers*each || len(receipts) != workers*each {
		t.Fatalf("logged %d bids, %d receipts; want %d", len(logged), len(receipts), workers*each)
	}
	checkStampsAgree(t, logged, receipts)
	first, last := logged[0].ReceivedAt, logged[len(logged)-1].ReceivedAt
	if first.Before(before.Truncate(time.Microsecond)) || last.After(after) {
		t.Fatalf("receive times %v..%v outside the Redis times %v..%v", first, last, before, after)
	}
}

// FuzzReceiveTimesFollowIngressOrder: two gateways submit to one room, one
// stamping with the Redis clock and one with a clock of its own that jumps
// back and forth (a skewed node, a clock stepped back). Whatever the
// interleaving, the bid numbered later never carries the earlier receive
// time, and each stamp is the submitter's clock unless that would go back.
func FuzzReceiveTimesFollowIngressOrder(f *testing.F) {
	f.Add([]byte{0x00, 0x81, 0x02, 0xff, 0x10})
	f.Add([]byte{0x80, 0x80, 0x7f, 0x01})
	f.Add([]byte{0xf0, 0x0f, 0xf0, 0x0f, 0x00, 0x00})
	rdb := testRedis(f)
	f.Fuzz(func(t *testing.T, steps []byte) {
		if len(steps) == 0 || len(steps) > 40 {
			t.Skip()
		}
		ctx := context.Background()
		room, lot := newUUID(), newUUID()
		t.Cleanup(func() { deleteQueue(t, rdb, room) })
		now, err := rdb.Time(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		// The skewed clock starts up to a minute either side of Redis.
		own := now.Add(time.Duration(int8(steps[0])) * 500 * time.Millisecond)
		skewed := NewIngress(rdb, NewOutcomes(rdb, nil), IngressConfig{Now: func() time.Time { return own }})
		redisClock := NewIngress(rdb, NewOutcomes(rdb, nil), IngressConfig{})
		receipts := map[int64]Receipt{}
		var prev time.Time
		for i, step := range steps {
			in := redisClock
			if step&1 == 1 {
				// A step of the skewed clock: -64..+63 ms.
				own = own.Add(time.Duration(int8(step)>>1) * time.Millisecond)
				in = skewed
			}
			rc, err := in.Submit(ctx, sampleBid(room, lot, i))
			if err != nil {
				t.Fatal(err)
			}
			at := rc.Bid.ReceivedAt
			if in == skewed {
				want := own.Truncate(time.Microsecond)
				if want.Before(prev) {
					want = prev
				}
				if !at.Equal(want) {
					t.Fatalf("bid %d stamped %v, want %v (own clock %v, previous %v)", rc.Bid.Seq, at, want, own, prev)
				}
			}
			prev = at
			receipts[rc.Bid.Seq] = rc
		}
		checkStampsAgree(t, readLog(t, room), receipts)
	})
}

// TestParseNudge reads the nudges of this and of older nodes.
func TestParseNudge(t *testing.T) {
	for _, tc := range []struct {
		msg        string
		seq, stamp int64
		ok         bool
	}{
		{"17 1733370000123456", 17, 1733370000123456, true},
		{"17", 17, 0, true},
		{`17 {"bid_id":"x"}`, 17, 0, true},
		{"17 -5", 17, 0, true},
		{"0 1733370000123456", 0, 0, false},
		{"x 1", 0, 0, false},
		{"", 0, 0, false},
	} {
		seq, stamp, ok := parseNudge(tc.msg)
		if seq != tc.seq || stamp != tc.stamp || ok != tc.ok {
			t.Errorf("parseNudge(%q) = %d, %d, %v; want %d, %d, %v", tc.msg, seq, stamp, ok, tc.seq, tc.stamp, tc.ok)
		}
	}
}

// TestLogEntryReadableByOlderNodes: a node of the version before reads a
// log entry or a nudge as a plain Bid and knows only received_at; the
// entry keeps one, close to the stamp this version reads (received_us).
func TestLogEntryReadableByOlderNodes(t *testing.T) {
	ctx := context.Background()
	rdb := testRedis(t)
	room, lot := newUUID(), newUUID()
	in := NewIngress(rdb, NewOutcomes(rdb, nil), IngressConfig{})
	t.Cleanup(func() { deleteQueue(t, rdb, room) })
	rc, err := in.Submit(ctx, sampleBid(room, lot, 0))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := rdb.HGet(ctx, logKey(room), "1").Result()
	if err != nil {
		t.Fatal(err)
	}
	var old Bid
	if err := json.Unmarshal([]byte(raw), &old); err != nil {
		t.Fatal(err)
	}
	// One "seq", the script's: names in a JSON object should be unique.
	if n := strings.Count(raw, `"seq":`); n != 1 || old.Seq != 1 {
		t.Fatalf("the entry %s has %d seq names (seq %d), want one, 1", raw, n, old.Seq)
	}
	if d := old.ReceivedAt.Sub(rc.Bid.ReceivedAt).Abs(); old.ReceivedAt.IsZero() || d > time.Second {
		t.Fatalf("an older node reads received_at %v; the stamp is %v", old.ReceivedAt, rc.Bid.ReceivedAt)
	}
	if got := readLog(t, room); len(got) != 1 || !got[0].ReceivedAt.Equal(rc.Bid.ReceivedAt) {
		t.Fatalf("this version reads %+v; the stamp is %v", got, rc.Bid.ReceivedAt)
	}
}
