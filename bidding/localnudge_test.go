package bidding

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeLocal is a LocalRooms that records the nudges it is handed.
type fakeLocal struct {
	holder string
	runs   bool // whether the room runs here

	mu     sync.Mutex
	nudged []int64
}

func (f *fakeLocal) Holder() string { return f.holder }

func (f *fakeLocal) NudgeLocal(_ string, seq int64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nudged = append(f.nudged, seq)
	return f.runs
}

func (f *fakeLocal) calls() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int64(nil), f.nudged...)
}

// TestSubmitNudgesRoomsOwnedHereInProcess: the script publishes no nudge
// for a room whose lease the submitting instance holds, and Submit hands
// the nudge to the room in the process; every other case still goes
// through Redis, including a room that turns out not to run here.
func TestSubmitNudgesRoomsOwnedHereInProcess(t *testing.T) {
	const me = "node-a#1"
	tests := []struct {
		name      string
		lease     string // the lease's value; "" for none
		local     *fakeLocal
		wantLocal bool // Local.NudgeLocal is asked
		wantPub   bool // a nudge reaches the room's channel
	}{
		{"held here, running here", me, &fakeLocal{holder: me, runs: true}, true, false},
		{"held here, not running here yet", me, &fakeLocal{holder: me}, true, true},
		{"held by another instance", "node-a#2", &fakeLocal{holder: me, runs: true}, false, true},
		{"held by nobody", "", &fakeLocal{holder: me, runs: true}, false, true},
		{"no local rooms configured", me, nil, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			rdb := testRedis(t)
			room, lot := newUUID(), newUUID()
			if tt.lease != "" {
				if err := rdb.Set(ctx, leaseKey(room), tt.lease, time.Minute).Err(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { rdb.Del(context.Background(), leaseKey(room)) })
			}
			sub := rdb.Subscribe(ctx, nudgeChannel(room))
			defer sub.Close()
			if _, err := sub.Receive(ctx); err != nil {
				t.Fatal(err)
			}
			cfg := IngressConfig{}
			if tt.local != nil {
				cfg.Local = tt.local
			}
			in := NewIngress(rdb, NewOutcomes(rdb, nil), cfg)
			rec, err := in.Submit(ctx, sampleBid(room, lot, 1))
			if err != nil {
				t.Fatal(err)
			}
			// A marker published after Submit returned: whatever nudge the
			// bid caused arrives before it (pub/sub keeps a channel's order).
			const marker = "marker"
			if err := rdb.Publish(ctx, nudgeChannel(room), marker).Err(); err != nil {
				t.Fatal(err)
			}
			var published []string
			for {
				msgCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
				msg, err := sub.ReceiveMessage(msgCtx)
				cancel()
				if err != nil {
					t.Fatal(err)
				}
				if msg.Payload == marker {
					break
				}
				published = append(published, msg.Payload)
			}
			if tt.wantPub {
				want := nudgeMessage(rec.Bid.Seq, rec.Bid.ReceivedAt.UnixMicro())
				if len(published) != 1 || published[0] != want {
					t.Fatalf("published %q, want [%q]", published, want)
				}
			} else if len(published) != 0 {
				t.Fatalf("published %q, want nothing", published)
			}
			var asked []int64
			if tt.local != nil {
				asked = tt.local.calls()
			}
			var want []int64
			if tt.wantLocal {
				want = []int64{rec.Bid.Seq}
			}
			if !slices.Equal(asked, want) {
				t.Fatalf("local nudges %v, want %v", asked, want)
			}
		})
	}
}

func TestNudgeMessageParses(t *testing.T) {
	for _, tc := range []struct{ seq, us int64 }{{1, 0}, {42, 1796478981629881}} {
		seq, us, ok := parseNudge(nudgeMessage(tc.seq, tc.us))
		if !ok || seq != tc.seq || us != tc.us {
			t.Fatalf("parseNudge(nudgeMessage(%d, %d)) = %d, %d, %v", tc.seq, tc.us, seq, us, ok)
		}
	}
}
