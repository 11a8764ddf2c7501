package loadtest

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestRunBidsAgainstFake runs the whole bids pipeline (sign-in, seller
// starting a lot, open-loop bids, watchers, chat, ending the lot, audit
// through the API) against an in-process fake server, once intact and once
// with a lost bid injected into the server's record.
func TestRunBidsAgainstFake(t *testing.T) {
	tests := []struct {
		name     string
		lose     bool
		wantOK   bool
		wantLost int
	}{
		{"intact record passes the audit", false, true, 0},
		{"a lost accepted bid fails the audit", true, false, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, srv := newFakeAuction(t)
			if tc.lose {
				// The fake forgets the first accepted bid once it is
				// recorded (any bid may be one of the deliberately short ones).
				go func() {
					for range 200 {
						time.Sleep(10 * time.Millisecond)
						f.mu.Lock()
						for _, b := range f.bids {
							if b.Outcome == "accepted" {
								f.forget = b.BidID
								break
							}
						}
						done := f.forget != ""
						f.mu.Unlock()
						if done {
							return
						}
					}
				}()
			}
			rooms := []RoomInfo{{RoomID: "r1", SellerID: "seller", LotIDs: []string{"lot1", "lot2"},
				SellerLoginURL: srv.URL + "/auth/link/x"}}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			rep, err := RunBids(ctx, BidsConfig{BaseURL: srv.URL, Rooms: rooms, Bidders: 4, Watchers: 3,
				Rate: 15, ChatRate: 2, Duration: 1500 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if rep.ErrorCount != 0 {
				t.Fatalf("errors: %v", rep.Errors)
			}
			b := rep.Bids
			if b.Sent < 15 || b.Acked != b.Sent || b.Accepted+b.Rejected != b.Acked || b.Undecided != 0 {
				t.Fatalf("counts: %+v", b)
			}
			if b.Lag.N == 0 || b.Ack.N != uint64(b.Acked) || b.ChatSent == 0 || b.ChatLag.N == 0 {
				t.Fatalf("latencies not measured: %+v", b)
			}
			// Each watcher sees each accepted bid at most once, and every
			// outcome is timed once.
			if b.Lag.N > 3*uint64(b.Accepted) || b.Decision.N != uint64(b.Accepted+b.Rejected) {
				t.Fatalf("lag %d samples for %d accepted bids and 3 watchers; %d decisions: %+v", b.Lag.N, b.Accepted, b.Decision.N, b)
			}
			a := rep.Audit
			if a == nil || a.OK != tc.wantOK || a.Lost != tc.wantLost || a.OpenLots != 0 {
				t.Fatalf("audit: %+v", a)
			}
			line := rep.SummaryLine()
			if !strings.HasPrefix(line, "loadtest=bids ") || !strings.Contains(line, "audit_lost=") {
				t.Fatalf("summary line: %s", line)
			}
		})
	}
}

func TestBidsConfigBounds(t *testing.T) {
	room := []RoomInfo{{RoomID: "r"}}
	tests := []struct {
		name string
		cfg  BidsConfig
		ok   bool
	}{
		{"fine", BidsConfig{BaseURL: "http://127.0.0.1:1", Rooms: room, Bidders: 5, Rate: 10, Duration: time.Second}, true},
		{"no rooms", BidsConfig{BaseURL: "http://127.0.0.1:1", Bidders: 5, Rate: 10, Duration: time.Second}, false},
		{"over the per-connection limit", BidsConfig{BaseURL: "http://127.0.0.1:1", Rooms: room, Bidders: 2, Rate: 10, Duration: time.Second}, false},
		{"unbounded time", BidsConfig{BaseURL: "http://127.0.0.1:1", Rooms: room, Bidders: 5, Rate: 10, Duration: time.Hour}, false},
		{"remote host", BidsConfig{BaseURL: "http://192.0.2.1", Rooms: room, Bidders: 5, Rate: 10, Duration: time.Second}, false},
		{"remote host allowed", BidsConfig{BaseURL: "http://192.0.2.1", Rooms: room, Bidders: 5, Rate: 10, Duration: time.Second,
			AllowHosts: []string{"192.0.2.1"}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.cfg.validate()
			if (err == nil) != tc.ok {
				t.Fatalf("validate: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
