package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"github.com/bidcast/bidcast/signaling"
)

// fakeAuction is a small stand-in for auctiond's sign-in, WebSocket and
// JSON API, enough for the bids swarm and its audit: one seller, lots
// started and ended by the seller, bids accepted when they reach the next
// minimum. forget names a bid the API then leaves out of /me/bids, which
// is how a test injects a lost bid.
type fakeAuction struct {
	t      *testing.T
	mu     sync.Mutex
	users  int
	conns  map[*fakeConn]bool
	lot    string
	live   bool
	next   int64
	seq    int64 // bids' ingress seq
	evSeq  int64 // room events' seq: copies of one event share it
	bids   []ServerBid
	result map[string]ServerResult
	forget string
}

type fakeConn struct {
	c    *websocket.Conn
	user string
	wmu  sync.Mutex
}

func newFakeAuction(t *testing.T) (*fakeAuction, *httptest.Server) {
	f := &fakeAuction{t: t, conns: map[*fakeConn]bool{}, result: map[string]ServerResult{}}
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
			if b.BidderID == user && b.BidID != f.forget {
				items = append(items, b)
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"items": items})
	})
	mux.HandleFunc("GET /api/v1/lots/{id}/bids", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		items := []ServerBid{}
		for _, b := range f.bids {
			if b.LotID == r.PathValue("id") && b.Outcome == "accepted" {
				items = append(items, b)
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"items": items})
	})
	mux.HandleFunc("GET /api/v1/lots/{id}/result", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		res, ok := f.result[r.PathValue("id")]
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"outcome": res.Outcome, "price": res.Price, "winner_id": res.WinnerID})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeAuction) serveWS(w http.ResponseWriter, r *http.Request) {
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
		if json.Unmarshal(b, &env) != nil {
			continue
		}
		f.handle(fc, env)
	}
}

func (fc *fakeConn) send(typ, id string, data any) { fc.sendEvent(typ, id, 0, data) }

// sendEvent sends a message with an envelope seq (room events have one).
func (fc *fakeConn) sendEvent(typ, id string, seq int64, data any) {
	raw, _ := json.Marshal(data)
	b, _ := json.Marshal(signaling.Envelope{V: 1, Type: typ, ID: id, Seq: seq, Data: raw})
	fc.wmu.Lock()
	defer fc.wmu.Unlock()
	_ = fc.c.Write(context.Background(), websocket.MessageText, b)
}

// broadcastLocked sends an event to every joined connection.
func (f *fakeAuction) broadcastLocked(typ string, data any) {
	f.evSeq++
	for c := range f.conns {
		c.sendEvent(typ, "", f.evSeq, data)
	}
}

func (f *fakeAuction) lotEventLocked(extra map[string]any) map[string]any {
	ev := map[string]any{"lot_id": f.lot, "status": map[bool]string{true: "live", false: "sold"}[f.live],
		"next_min": map[string]any{"amount": f.next, "currency": "KRW"}}
	for k, v := range extra {
		ev[k] = v
	}
	return ev
}

func (f *fakeAuction) handle(fc *fakeConn, env signaling.Envelope) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch env.Type {
	case signaling.TypeJoin:
		f.conns[fc] = true
		var state any
		if f.lot != "" {
			state = map[string]any{"lot": map[string]any{"id": f.lot, "status": map[bool]string{true: "live", false: "sold"}[f.live],
				"next_min": map[string]any{"amount": f.next, "currency": "KRW"}}}
		}
		fc.sendEvent(signaling.TypeSnapshot, env.ID, f.evSeq, map[string]any{"state": state})
		fc.send(signaling.TypeAck, env.ID, signaling.AckData{})
	case signaling.TypeLotStart:
		var d signaling.LotData
		_ = json.Unmarshal(env.Data, &d)
		f.lot, f.live, f.next = d.LotID, true, 1000
		fc.send(signaling.TypeAck, env.ID, signaling.AckData{})
		f.broadcastLocked("lot.started", f.lotEventLocked(nil))
	case signaling.TypeLotEnd:
		f.live = false
		res := ServerResult{LotID: f.lot, Outcome: "unsold"}
		for _, b := range f.bids {
			if b.LotID == f.lot && b.Outcome == "accepted" && b.Amount >= res.Price {
				res = ServerResult{LotID: f.lot, Outcome: "sold", WinnerID: b.BidderID, Price: b.Amount}
			}
		}
		f.result[f.lot] = res
		fc.send(signaling.TypeAck, env.ID, signaling.AckData{})
		f.broadcastLocked("lot.closed", f.lotEventLocked(nil))
	case signaling.TypeBidPlace:
		var d signaling.BidData
		_ = json.Unmarshal(env.Data, &d)
		f.seq++
		fc.send(signaling.TypeAck, env.ID, signaling.AckData{BidID: d.BidID, Seq: f.seq, Status: "pending"})
		b := ServerBid{BidID: d.BidID, LotID: d.LotID, BidderID: fc.user, Amount: d.Amount, Seq: f.seq}
		// As the server does: the bidder's own copy has the bid_id, everyone
		// else's names neither the bid nor the bidder.
		bid := map[string]any{"bid_id": d.BidID, "bidder": "Bidder " + fc.user, "seq": f.seq}
		if f.live && d.LotID == f.lot && d.Amount >= f.next {
			b.Outcome, f.next = "accepted", d.Amount+100
			public := map[string]any{"bidder": "Bidder " + fc.user, "seq": f.seq}
			own, pub := f.evSeq+1, f.evSeq+2
			f.evSeq += 2
			for c := range f.conns {
				if c.user == fc.user {
					c.sendEvent("bid.accepted", "", own, f.lotEventLocked(map[string]any{"bid": bid}))
				} else {
					c.sendEvent("bid.accepted", "", pub, f.lotEventLocked(map[string]any{"bid": public}))
				}
			}
		} else {
			b.Outcome, b.Reason = "rejected", "too_low"
			f.evSeq++
			fc.sendEvent("bid.rejected", "", f.evSeq, f.lotEventLocked(map[string]any{"bid": bid, "reason": "too_low"}))
		}
		f.bids = append(f.bids, b)
	case signaling.TypeChatSend:
		var d signaling.ChatSendData
		_ = json.Unmarshal(env.Data, &d)
		fc.send(signaling.TypeAck, env.ID, signaling.AckData{})
		f.broadcastLocked("chat.message", map[string]any{"text": d.Text})
	default:
		fc.send(signaling.TypeError, env.ID, signaling.ErrorData{Code: "unknown_type"})
	}
}
