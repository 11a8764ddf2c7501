package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/bidcast/bidcast/signaling"
)

// hotFake is a stand-in for auctiond with a sudden-death clock: a lot that
// closes at its deadline (after a short grace), bids judged by their
// receive time, events that carry received_at and the deadline, time.sync,
// and the JSON API the bid audit reads. loseBefore makes it refuse the
// first bid received in the last 300 ms before the deadline as
// lot_not_live (a lost bid); acceptLate makes it accept the first bid
// received after the deadline.
type hotFake struct {
	mu                     sync.Mutex
	users                  int
	conns                  map[*fakeConn]bool
	lot                    string
	status                 string
	deadline               time.Time
	dur                    time.Duration
	next, seq              int64
	evSeq                  int64 // room events' seq: copies of one event share it
	bids                   []ServerBid
	result                 *ServerResult
	loseBefore, acceptLate bool
	closeTimer             *time.Timer
}

func newHotFake(t *testing.T, dur time.Duration) (*hotFake, *httptest.Server) {
	f := &hotFake{conns: map[*fakeConn]bool{}, dur: dur}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth/guest", func(w http.ResponseWriter, _ *http.Request) {
		f.mu.Lock()
		f.users++
		id := fmt.Sprintf("u%d", f.users)
		f.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"user": map[string]string{"user_id": id}, "access_token": "tok-" + id})
	})
	mux.HandleFunc("GET /auth/link/{t}", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "bidcast_access", Value: "tok-seller", Path: "/"})
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /{$}", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("GET /ws", f.serveWS)
	mux.HandleFunc("GET /api/v1/me/bids", func(w http.ResponseWriter, r *http.Request) {
		user := strings.TrimPrefix(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), "tok-")
		f.mu.Lock()
		defer f.mu.Unlock()
		items := []ServerBid{}
		for _, b := range f.bids {
			if b.BidderID == user {
				items = append(items, b)
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"items": items})
	})
	mux.HandleFunc("GET /api/v1/lots/{id}/bids", func(w http.ResponseWriter, _ *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		items := []ServerBid{}
		for _, b := range f.bids {
			if b.Outcome == "accepted" {
				items = append(items, b)
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"items": items})
	})
	mux.HandleFunc("GET /api/v1/lots/{id}/result", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		res := f.result
		f.mu.Unlock()
		if res == nil {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"outcome": res.Outcome, "price": res.Price, "winner_id": res.WinnerID})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		f.mu.Lock()
		if f.closeTimer != nil {
			f.closeTimer.Stop()
		}
		f.mu.Unlock()
	})
	return f, srv
}

func (f *hotFake) serveWS(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	fc := &fakeConn{c: c, user: strings.TrimPrefix(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), "tok-")}
	defer func() {
		f.mu.Lock()
		delete(f.conns, fc)
		f.mu.Unlock()
		_ = c.CloseNow()
	}()
	for {
		_, b, err := c.Read(r.Context())
		if err != nil {
			return
		}
		var env signaling.Envelope
		if json.Unmarshal(b, &env) == nil {
			f.handle(fc, env, time.Now().UTC())
		}
	}
}

func (f *hotFake) eventLocked(extra map[string]any) map[string]any {
	ev := map[string]any{"lot_id": f.lot, "status": f.status, "deadline": f.deadline,
		"next_min": map[string]any{"amount": f.next, "currency": "KRW"}}
	for k, v := range extra {
		ev[k] = v
	}
	return ev
}

func (f *hotFake) broadcastLocked(typ string, data any) {
	f.evSeq++
	for c := range f.conns {
		c.sendEvent(typ, "", f.evSeq, data)
	}
}

func (f *hotFake) handle(fc *fakeConn, env signaling.Envelope, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch env.Type {
	case signaling.TypeJoin:
		f.conns[fc] = true
		var state any
		if f.lot != "" {
			state = map[string]any{"lot": map[string]any{"id": f.lot, "status": f.status, "policy": "sudden-death",
				"deadline": f.deadline, "next_min": map[string]any{"amount": f.next, "currency": "KRW"}}}
		}
		fc.send(signaling.TypeSnapshot, env.ID, map[string]any{"state": state})
		fc.send(signaling.TypeAck, env.ID, signaling.AckData{})
	case signaling.TypeTimeSync:
		var d signaling.TimeSyncData
		_ = json.Unmarshal(env.Data, &d)
		fc.send(signaling.TypeTimeSync, env.ID, signaling.TimeSyncData{ClientTime: d.ClientTime, ServerTime: now.UnixMilli()})
	case signaling.TypeLotStart:
		var d signaling.LotData
		_ = json.Unmarshal(env.Data, &d)
		f.lot, f.status, f.next, f.deadline = d.LotID, "live", 1000, now.Add(f.dur)
		fc.send(signaling.TypeAck, env.ID, signaling.AckData{})
		f.broadcastLocked("lot.started", f.eventLocked(nil))
		f.closeTimer = time.AfterFunc(f.dur+100*time.Millisecond, f.close) // the closing grace
	case signaling.TypeLotEnd:
		fc.send(signaling.TypeAck, env.ID, signaling.AckData{})
	case signaling.TypeBidPlace:
		var d signaling.BidData
		_ = json.Unmarshal(env.Data, &d)
		f.seq++
		fc.send(signaling.TypeAck, env.ID, signaling.AckData{BidID: d.BidID, Seq: f.seq, Status: "pending"})
		b := ServerBid{BidID: d.BidID, LotID: d.LotID, BidderID: fc.user, Amount: d.Amount, Seq: f.seq}
		bid := map[string]any{"bid_id": d.BidID, "seq": f.seq, "received_at": now}
		late := now.After(f.deadline)
		switch {
		case !late && f.loseBefore && f.deadline.Sub(now) < 300*time.Millisecond:
			f.loseBefore = false
			b.Outcome, b.Reason = "rejected", "lot_not_live"
		case late && f.acceptLate:
			f.acceptLate = false
			b.Outcome = "accepted"
		case late:
			b.Outcome, b.Reason = "rejected", "after_deadline"
		case d.Amount >= f.next:
			b.Outcome = "accepted"
		default:
			b.Outcome, b.Reason = "rejected", "too_low"
		}
		f.bids = append(f.bids, b)
		if b.Outcome == "accepted" {
			f.next = max(f.next, d.Amount+100)
			public := map[string]any{"seq": f.seq, "received_at": now}
			own, pub := f.evSeq+1, f.evSeq+2 // numbered as the server does
			f.evSeq += 2
			for c := range f.conns {
				if c.user == fc.user {
					c.sendEvent("bid.accepted", "", own, f.eventLocked(map[string]any{"bid": bid}))
				} else {
					c.sendEvent("bid.accepted", "", pub, f.eventLocked(map[string]any{"bid": public}))
				}
			}
			return
		}
		f.evSeq++
		fc.sendEvent("bid.rejected", "", f.evSeq, f.eventLocked(map[string]any{"bid": bid, "reason": b.Reason}))
	default:
		fc.send(signaling.TypeError, env.ID, signaling.ErrorData{Code: "unknown_type"})
	}
}

// close ends the lot: sold to the highest accepted bid.
func (f *hotFake) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status = "sold"
	res := ServerResult{LotID: f.lot, Outcome: "unsold"}
	for _, b := range f.bids {
		if b.Outcome == "accepted" && b.Amount >= res.Price {
			res = ServerResult{LotID: f.lot, Outcome: "sold", WinnerID: b.BidderID, Price: b.Amount}
		}
	}
	f.result = &res
	f.broadcastLocked("lot.closed", f.eventLocked(map[string]any{"result": map[string]any{"status": res.Outcome,
		"closed_at": time.Now().UTC()}}))
}

// TestRunHotLotAgainstFake storms a sudden-death lot of the fake server
// from a second before its deadline to half a second after it, end to end
// (sign-in, the seller starting the lot, watchers, time.sync, the storm,
// the close, both audits through the API): intact, the deadline audit
// passes with bids on both sides of the deadline; a server that loses a
// bid received in time, or accepts one received late, fails it.
func TestRunHotLotAgainstFake(t *testing.T) {
	if testing.Short() {
		t.Skip("storms a lot for seconds")
	}
	tests := []struct {
		name   string
		inject func(f *hotFake)
		check  func(a HotLotAudit) bool
	}{
		{"intact", nil, func(a HotLotAudit) bool { return a.OK && a.Before > 0 && a.After > 0 }},
		{"a bid received before the deadline lost", func(f *hotFake) { f.loseBefore = true },
			func(a HotLotAudit) bool { return !a.OK && a.LostBeforeDeadline == 1 && a.AcceptedAfterDeadline == 0 }},
		{"a bid received after the deadline accepted", func(f *hotFake) { f.acceptLate = true },
			func(a HotLotAudit) bool { return !a.OK && a.AcceptedAfterDeadline == 1 && a.LostBeforeDeadline == 0 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			noLeaks(t)
			f, srv := newHotFake(t, 2500*time.Millisecond)
			if tc.inject != nil {
				tc.inject(f)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			rooms := []RoomInfo{{RoomID: "hot", SellerID: "seller", LotIDs: []string{"lot1"}, SellerLoginURL: srv.URL + "/auth/link/x"}}
			rep, err := RunHotLot(ctx, HotLotConfig{BaseURL: srv.URL, Rooms: rooms, Bidders: 6, Watchers: 2, Rate: 20,
				Storm: time.Second, MaxStorm: 5 * time.Second, Overrun: 500 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if rep.ErrorCount != 0 {
				t.Fatalf("errors: %v", rep.Errors)
			}
			h := rep.HotLot
			if h == nil || len(h.Lots) != 1 || h.Lots[0].Policy != "sudden-death" || h.Lots[0].Result != "sold" {
				t.Fatalf("hot lot: %+v", h)
			}
			if !tc.check(h.Audit) {
				t.Fatalf("deadline audit: %+v", h.Audit)
			}
			if n := len(h.Lots[0].Bids); n < 15 || rep.Bids.Sent != int64(n) {
				t.Fatalf("%d storm bids, %d sent", n, rep.Bids.Sent)
			}
			for _, b := range h.Lots[0].Bids {
				if b.Acked && (b.ReceivedAt.IsZero() || b.DeadlineInForce.IsZero()) {
					t.Fatalf("bid without its server times: %+v", b)
				}
			}
			// Every accepted bid reached the lot's clock, though most of
			// its public copies were not decoded.
			f.mu.Lock()
			accepted := 0
			for _, b := range f.bids {
				if b.Outcome == "accepted" {
					accepted++
				}
			}
			f.mu.Unlock()
			if len(h.Lots[0].Accepted) != accepted {
				t.Fatalf("the clock has %d accepted bids, the server %d", len(h.Lots[0].Accepted), accepted)
			}
		})
	}
}

// noLeaks fails the test if goroutines it started outlive it (the run's
// storms, bids, connections and samplers). Registered first, it runs after
// every other cleanup, the fake server's included.
func noLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > before {
			httpClient.CloseIdleConnections()
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				t.Fatalf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}
