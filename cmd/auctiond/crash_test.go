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

	"github.com/bidcast/bidcast/internal/testenv"
	"github.com/bidcast/bidcast/storage/storagetest"
)

// bidLedger is what bidders were told: bids announced as accepted.
type bidLedger struct {
	mu       sync.Mutex
	accepted map[string]int64 // bid_id → amount
}

// record notes m if it announces an accepted bid.
func (l *bidLedger) record(m wsMsg) {
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
		l.mu.Lock()
		l.accepted[d.Bid.ID] = d.Bid.Amount.Amount
		l.mu.Unlock()
	}
}

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

// TestAcceptedBidsSurviveKill bids into a live lot, kills the server with
// SIGKILL in the middle of the stream, restarts it, and checks invariants
// 3 and 5: every bid announced as accepted is in Postgres exactly once,
// and the restarted server resumes the lot with its high bid and deadline
// and keeps taking bids.
func TestAcceptedBidsSurviveKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the server binary")
	}
	bin := testenv.BuildBinary(t, "github.com/bidcast/bidcast/cmd/auctiond")
	addr := testenv.FreeAddr(t)
	base := "http://" + addr
	dbURL := storagetest.URL(t)
	env := []string{
		"DATABASE_URL=" + dbURL, "REDIS_URL=" + testenv.Require(t, "REDIS_URL"),
		"HTTP_ADDR=" + addr, "ADMIN_ADDR=", "PUBLIC_URL=" + base,
		"SFU_UDP_ADDR=127.0.0.1:0", "SFU_TCP_ADDR=off",
		// Fixed keys, so sessions outlive the restart like in production.
		"AUTH_JWT_KEY=" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 40))), "AUTH_GUESTS_MAY_BID=true", "AUTH_RATE_LIMIT_DISABLED=true",
		"NODE_ID=crash-test", "BID_POLL_INTERVAL=100ms",
	}
	srv := testenv.StartProcess(t, bin, env, "serve")
	srv.WaitHTTP(base+"/readyz", 30*time.Second)

	cmd := exec.Command(bin, "room", "create", "--title", "Crash", "--seller", "kim", "--lots", "1",
		"--duration", "10m", "--live", "--json")
	cmd.Env = append(cmd.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("room create: %v", err)
	}
	var room roomCreated
	if err := json.Unmarshal(out, &room); err != nil || len(room.LotIDs) != 1 {
		t.Fatalf("room create output: %v %s", err, out)
	}
	lot := room.LotIDs[0]
	seller := newHTTPUser(t, base)
	seller.do("GET", strings.TrimPrefix(room.SellerLoginURL, base), "", nil)
	sws := seller.dial()
	sws.request("join", map[string]any{"room_id": room.RoomID})
	sws.request("lot.start", map[string]any{"lot_id": lot})

	ledger := &bidLedger{accepted: map[string]int64{}}
	bidders := make([]*httpUser, 4)
	for i := range bidders {
		bidders[i] = newHTTPUser(t, base)
		bidders[i].do("POST", "/auth/guest", fmt.Sprintf(`{"display_name":"b%d"}`, i), nil)
	}
	// bidRound has every bidder send one bid, each above the last, without
	// waiting for outcomes: the kill lands while bids are in flight.
	amount := int64(10_000)
	bidRound := func(conns []*wsClient, round int) {
		for i, c := range conns {
			amount += 5_000
			c.send("bid.place", map[string]any{"lot_id": lot, "amount": amount, "currency": "KRW",
				"bid_id": fmt.Sprintf("r%d-b%d", round, i)})
		}
	}
	connect := func() []*wsClient {
		conns := make([]*wsClient, len(bidders))
		for i, u := range bidders {
			conns[i] = u.dialTap(ledger.record)
			conns[i].request("join", map[string]any{"room_id": room.RoomID})
		}
		return conns
	}
	conns := connect()
	for round := 0; round < 15; round++ {
		bidRound(conns, round)
		time.Sleep(20 * time.Millisecond)
	}
	srv.Kill()
	beforeID, beforeTop := ledger.max()
	if beforeID == "" {
		t.Fatal("no bid was accepted before the kill")
	}

	srv.Start()
	srv.WaitHTTP(base+"/readyz", 30*time.Second)
	conns = connect()
	// The room is claimed again within a lease; its snapshot shows the lot
	// with at least the highest bid anyone was told was accepted.
	var high int64
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		conns[0].send("join", map[string]any{"room_id": room.RoomID})
		var st struct {
			Lot *struct {
				HighBid struct {
					Amount int64 `json:"amount"`
				} `json:"high_bid"`
				Status   string    `json:"status"`
				Deadline time.Time `json:"deadline"`
			} `json:"lot"`
		}
		m := conns[0].await("snapshot", isEvent("room.snapshot"))
		var body struct {
			State json.RawMessage `json:"state"`
		}
		_ = json.Unmarshal(m.Data, &body)
		if json.Unmarshal(body.State, &st) == nil && st.Lot != nil && st.Lot.Status == "live" {
			high = st.Lot.HighBid.Amount
			if st.Lot.Deadline.Before(time.Now()) {
				t.Fatalf("restored lot's deadline %v is in the past", st.Lot.Deadline)
			}
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if high < beforeTop {
		t.Fatalf("after restart the high bid is %d, but %s at %d was announced as accepted", high, beforeID, beforeTop)
	}
	// Bids still flow after the restart.
	for round := 100; round < 103; round++ {
		bidRound(conns, round)
	}
	conns[0].await("a bid accepted after the restart", func(m wsMsg) bool {
		return m.Type == "bid.accepted" && strings.Contains(m.field("bid"), `"r10`)
	})

	// Every bid announced as accepted is in Postgres, accepted, once.
	time.Sleep(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pg, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close(ctx)
	rows, err := pg.Query(ctx, `SELECT bid_id, outcome, amount FROM bids WHERE lot_id = $1`, lot)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]string{}
	for rows.Next() {
		var id, outcome string
		var amt int64
		if err := rows.Scan(&id, &outcome, &amt); err != nil {
			t.Fatal(err)
		}
		if _, dup := stored[id]; dup {
			t.Errorf("bid %s stored twice", id)
		}
		stored[id] = outcome + "@" + strconv.FormatInt(amt, 10)
	}
	ledger.mu.Lock()
	defer ledger.mu.Unlock()
	for id, amt := range ledger.accepted {
		if stored[id] != "accepted@"+strconv.FormatInt(amt, 10) {
			t.Errorf("bid %s announced accepted at %d, Postgres has %q", id, amt, stored[id])
		}
	}
	t.Logf("%d bids announced accepted, %d rows in Postgres; high before kill %d, after restart %d",
		len(ledger.accepted), len(stored), beforeTop, high)
}
