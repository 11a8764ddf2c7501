package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bidcast/bidcast/internal/ops"
	"github.com/bidcast/bidcast/internal/testenv"
)

// bidLedger is what bidders were told: which bids were acknowledged
// (sequenced by the server) and which were announced as accepted.
type bidLedger struct {
	mu       sync.Mutex
	accepted map[string]int64  // bid_id → amount
	sent     map[string]string // "conn/request id" → bid_id
	acked    map[string]bool   // "conn/request id"
}

func newBidLedger() *bidLedger {
	return &bidLedger{accepted: map[string]int64{}, sent: map[string]string{}, acked: map[string]bool{}}
}

// record notes m, received on connection conn, if it acknowledges a bid
// or announces an accepted one.
func (l *bidLedger) record(conn int, m wsMsg) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if m.Type == "ack" && m.ID != "" {
		l.acked[fmt.Sprintf("%d/%s", conn, m.ID)] = true
	}
	if m.Type != "bid.accepted" {
		return
	}
	var d struct {
		Bid struct {
			ID     string `json:"bid_id"`
			Amount struct {
				Amount int64 `json:"amount"`
			} `json:"amount"`
		} `json:"bid"`
	}
	if json.Unmarshal(m.Data, &d) == nil && d.Bid.ID != "" {
		l.accepted[d.Bid.ID] = d.Bid.Amount.Amount
	}
}

// sentBid notes that request id on connection conn placed bidID.
func (l *bidLedger) sentBid(conn int, id, bidID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent[fmt.Sprintf("%d/%s", conn, id)] = bidID
}

// ackedBids returns the bid IDs the server acknowledged.
func (l *bidLedger) ackedBids() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for key, bidID := range l.sent {
		if l.acked[key] {
			out = append(out, bidID)
		}
	}
	return out
}

// max returns the highest bid announced as accepted.
func (l *bidLedger) max() (string, int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var id string
	var top int64
	for k, v := range l.accepted {
		if v > top {
			id, top = k, v
		}
	}
	return id, top
}

// crashShow is the real auctiond binary running one live lot with four
// guest bidders, for tests that crash the server or its dependencies.
type crashShow struct {
	t       *testing.T
	srv     *testenv.Process
	base    string
	dbURL   string
	roomID  string
	lotID   string
	bidders []*httpUser
	ledger  *bidLedger
	amount  int64
}

// startCrashShow builds and starts auctiond on dbURL and redisURL, creates
// a live room with one ten-minute lot, has the seller start it, and signs
// four guests in.
func startCrashShow(t *testing.T, dbURL, redisURL string) *crashShow {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the server binary and crashes it or its dependencies")
	}
	bin := testenv.BuildBinary(t, "github.com/bidcast/bidcast/cmd/auctiond")
	addr := testenv.FreeAddr(t)
	s := &crashShow{t: t, base: "http://" + addr, dbURL: dbURL, ledger: newBidLedger(), amount: 10_000}
	env := []string{
		"DATABASE_URL=" + dbURL, "REDIS_URL=" + redisURL,
		"HTTP_ADDR=" + addr, "ADMIN_ADDR=", "PUBLIC_URL=" + s.base,
		"SFU_UDP_ADDR=127.0.0.1:0", "SFU_TCP_ADDR=off", "DEMO=false",
		// Fixed keys, so sessions outlive a restart like in production.
		"AUTH_JWT_KEY=" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 40))),
		"AUTH_RATE_LIMIT_DISABLED=true",
		// Killed servers leave their connection slots behind for a minute.
		"CLIENT_LIMITS_DISABLED=true",
		"NODE_ID=crash-test", "BID_POLL_INTERVAL=100ms", "MEDIA_DIR=" + t.TempDir(),
	}
	s.srv = testenv.StartProcess(t, bin, env, "serve")
	s.srv.WaitHTTP(s.base+"/readyz", 30*time.Second)

	cmd := exec.Command(bin, "room", "create", "--title", "Crash", "--seller", "kim", "--lots", "1",
		"--duration", "10m", "--live", "--guests-may-bid", "--json")
	cmd.Env = append(cmd.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("room create: %v", err)
	}
	var room ops.Room
	if err := json.Unmarshal(out, &room); err != nil || len(room.LotIDs) != 1 {
		t.Fatalf("room create output: %v %s", err, out)
	}
	s.roomID, s.lotID = room.RoomID, room.LotIDs[0]
	seller := newHTTPUser(t, s.base)
	seller.do("GET", strings.TrimPrefix(room.SellerLoginURL, s.base), "", nil)
	sws := seller.dial()
	sws.request("join", map[string]any{"room_id": s.roomID})
	sws.request("lot.start", map[string]any{"lot_id": s.lotID})

	s.bidders = make([]*httpUser, 4)
	for i := range s.bidders {
		s.bidders[i] = newHTTPUser(t, s.base)
		s.bidders[i].do("POST", "/auth/guest", fmt.Sprintf(`{"display_name":"b%d"}`, i), nil)
	}
	return s
}

// connect opens a socket per bidder, joined to the room, whose messages
// feed the ledger.
func (s *crashShow) connect() []*wsClient {
	conns := make([]*wsClient, len(s.bidders))
	for i, u := range s.bidders {
		conns[i] = u.dialTap(func(m wsMsg) { s.ledger.record(i, m) })
		conns[i].request("join", map[string]any{"room_id": s.roomID})
	}
	return conns
}

// bidRound has every bidder send one bid, each above the last, without
// waiting for outcomes, so a crash lands while bids are in flight.
func (s *crashShow) bidRound(conns []*wsClient, round int) {
	for i, c := range conns {
		s.amount += 5_000
		bidID := fmt.Sprintf("r%d-b%d", round, i)
		id := c.send("bid.place", map[string]any{"lot_id": s.lotID, "amount": s.amount, "currency": "KRW",
			"bid_id": bidID})
		s.ledger.sentBid(i, id, bidID)
	}
}

// bidRounds sends rounds from..to-1, pausing between them.
func (s *crashShow) bidRounds(conns []*wsClient, from, to int) {
	for round := from; round < to; round++ {
		s.bidRound(conns, round)
		time.Sleep(20 * time.Millisecond)
	}
}

// awaitLiveHigh rejoins on conn until the room's snapshot shows the lot
// live, and returns its high bid. The deadline must still be ahead.
func (s *crashShow) awaitLiveHigh(conn *wsClient) int64 {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		id := conn.send("join", map[string]any{"room_id": s.roomID})
		m := conn.await("snapshot", isEvent("room.snapshot"))
		// A busy room's snapshot may trail its log: the events after it
		// come before the join's ack, and a bid among them counts too.
		after := int64(0)
		conn.await("the join's ack", func(m wsMsg) bool {
			var d struct {
				HighBid struct {
					Amount int64 `json:"amount"`
				} `json:"high_bid"`
			}
			if m.Type == "bid.accepted" && json.Unmarshal(m.Data, &d) == nil {
				after = max(after, d.HighBid.Amount)
			}
			return m.ID == id
		})
		var body struct {
			State struct {
				Lot *struct {
					HighBid struct {
						Amount int64 `json:"amount"`
					} `json:"high_bid"`
					Status   string    `json:"status"`
					Deadline time.Time `json:"deadline"`
				} `json:"lot"`
			} `json:"state"`
		}
		if json.Unmarshal(m.Data, &body) == nil && body.State.Lot != nil && body.State.Lot.Status == "live" {
			if body.State.Lot.Deadline.Before(time.Now()) {
				s.t.Fatalf("restored lot's deadline %v is in the past", body.State.Lot.Deadline)
			}
			return max(body.State.Lot.HighBid.Amount, after)
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.t.Fatal("the lot was not live again within 20 s")
	return 0
}

// recovered checks the show after a dependency came back: the server is
// ready, the lot is live with at least the highest bid announced, bids flow
// again, and Postgres holds every acknowledged bid once.
func (s *crashShow) recovered(conns []*wsClient, after string) {
	s.t.Helper()
	s.srv.WaitHTTP(s.base+"/readyz", 30*time.Second)
	_, beforeTop := s.ledger.max()
	if high := s.awaitLiveHigh(conns[0]); high < beforeTop {
		s.t.Fatalf("after %s the high bid is %d, below the announced %d", after, high, beforeTop)
	}
	s.finalRounds(conns)
	s.checkPostgres()
}

// finalRounds checks that bids flow after a recovery: it lets each
// bidder's rate limit refill (bids queued during an outage spend it),
// sends three rounds and waits until conns[0] sees one of the last
// round's bids accepted.
func (s *crashShow) finalRounds(conns []*wsClient) {
	s.t.Helper()
	time.Sleep(2500 * time.Millisecond)
	s.bidRounds(conns, 100, 102)
	// Others' bids reach conns[0] without their bid_id: a high bid at or
	// above the last round's lowest amount means one of them was accepted.
	floor := s.amount + 5_000
	s.bidRounds(conns, 102, 103)
	conns[0].await("a bid of the last round accepted", func(m wsMsg) bool {
		var d struct {
			HighBid struct {
				Amount int64 `json:"amount"`
			} `json:"high_bid"`
		}
		return m.Type == "bid.accepted" && json.Unmarshal(m.Data, &d) == nil && d.HighBid.Amount >= floor
	})
}

// checkPostgres waits for the pipeline to settle and then checks the
// invariants: every bid announced as accepted is stored accepted at that
// amount, every acknowledged bid has exactly one stored outcome, and no
// bid is stored twice.
func (s *crashShow) checkPostgres() {
	s.t.Helper()
	acked := s.ledger.ackedBids()
	var stored map[string]string
	deadline := time.Now().Add(15 * time.Second)
	for {
		stored = s.storedBids()
		missing := 0
		for _, id := range acked {
			if stored[id] == "" {
				missing++
			}
		}
		if missing == 0 || time.Now().After(deadline) {
			if missing > 0 {
				s.t.Errorf("%d of %d acknowledged bids have no stored outcome", missing, len(acked))
			}
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.ledger.mu.Lock()
	defer s.ledger.mu.Unlock()
	for id, amt := range s.ledger.accepted {
		if stored[id] != "accepted@"+strconv.FormatInt(amt, 10) {
			s.t.Errorf("bid %s announced accepted at %d, Postgres has %q", id, amt, stored[id])
		}
	}
	s.t.Logf("%d bids acknowledged, %d announced accepted, %d stored", len(acked), len(s.ledger.accepted), len(stored))
}

// storedBids reads the lot's bids as bid_id → "outcome@amount", failing
// the test on a bid stored twice.
func (s *crashShow) storedBids() map[string]string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pg, err := pgx.Connect(ctx, s.dbURL)
	if err != nil {
		s.t.Fatal(err)
	}
	defer pg.Close(ctx)
	rows, err := pg.Query(ctx, `SELECT bid_id, outcome, amount FROM bids WHERE lot_id = $1`, s.lotID)
	if err != nil {
		s.t.Fatal(err)
	}
	defer rows.Close()
	stored := map[string]string{}
	for rows.Next() {
		var id, outcome string
		var amt int64
		if err := rows.Scan(&id, &outcome, &amt); err != nil {
			s.t.Fatal(err)
		}
		if _, dup := stored[id]; dup {
			s.t.Errorf("bid %s stored twice", id)
		}
		stored[id] = outcome + "@" + strconv.FormatInt(amt, 10)
	}
	if err := rows.Err(); err != nil {
		s.t.Fatal(err)
	}
	return stored
}
