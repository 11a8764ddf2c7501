package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bidcast/bidcast/signaling"
)

// wireEvent is the part of a room event's data the load test reads: the
// room actor's events (lot.*, bid.*, clock) and chat messages.
type wireEvent struct {
	LotID   string `json:"lot_id"`
	Status  string `json:"status"`
	NextMin struct {
		Amount   int64  `json:"amount"`
		Currency string `json:"currency"`
	} `json:"next_min"`
	HighBid struct {
		Amount int64 `json:"amount"`
	} `json:"high_bid"`
	// Bid has its bid_id only in its own bidder's copy; others match it
	// by its ingress Seq.
	Bid *struct {
		ID  string `json:"bid_id"`
		Seq int64  `json:"seq"`
	} `json:"bid"`
	BidID  string `json:"bid_id"`
	Reason string `json:"reason"`
	Text   string `json:"text"` // chat.message
}

// lotState is what bidders need to price a bid: the live lot and its
// least next bid, as last heard.
type lotState struct {
	lotID    string
	live     bool
	nextMin  int64
	highBid  int64
	currency string
}

// step is the lot's current increment as the prices show it (the next
// minimum over the high bid), or a twentieth of the opening price.
func (s lotState) step() int64 {
	if s.highBid > 0 && s.nextMin > s.highBid {
		return s.nextMin - s.highBid
	}
	return max(1, s.nextMin/20)
}

// roomRun is one room under load: the seller's connection that starts and
// ends lots, and the room's current lot as the seller sees it.
type roomRun struct {
	info   RoomInfo
	seller session
	conn   *wsConn

	// accepted is the event seq of the newest bid.accepted observed: an
	// older one tells a bidder nothing new (prices only rise), so bidders
	// skip decoding the copies another connection has read (knows).
	accepted atomic.Int64
	// bids holds the bid seq of those events, for the room's watchers.
	bids recentBids

	mu      sync.Mutex
	st      lotState
	started []string // lots started during the run, in order
	closed  map[string]bool
	closedC chan string
	running bool // start the next lot when one closes
	next    int  // index in info.LotIDs of the next lot to try
}

func newRoomRun(info RoomInfo) *roomRun {
	return &roomRun{info: info, closed: map[string]bool{}, closedC: make(chan string, 64)}
}

// state returns the lot as last heard.
func (r *roomRun) state() lotState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st
}

// knows reports whether the room has observed a bid.accepted with event
// seq at least seq (seq 0, unnumbered: never).
func (r *roomRun) knows(seq int64) bool { return seq > 0 && seq <= r.accepted.Load() }

// noteBid remembers the bid of a decoded bid.accepted for the room's
// watchers; call it before observe, which tells them the event is known.
func (r *roomRun) noteBid(typ string, seq int64, ev *wireEvent) {
	if typ == "bid.accepted" && ev.Bid != nil {
		r.bids.note(seq, ev.Bid.Seq)
	}
}

// observe updates the lot state from a room event (with its event seq, or
// 0) seen on any of the room's connections (prices only ever rise within a
// lot).
func (r *roomRun) observe(typ string, seq int64, ev *wireEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if typ == "bid.accepted" && seq > r.accepted.Load() {
		r.accepted.Store(seq)
	}
	if ev.LotID != "" && ev.LotID != r.st.lotID && typ != "lot.started" && typ != "room.state" {
		return // a late event of an earlier lot
	}
	switch typ {
	case "lot.started":
		r.st = lotState{lotID: ev.LotID, live: true}
	case "lot.closed":
		r.st.live = false
	}
	if ev.Status != "" {
		r.st.live = ev.Status == "live"
	}
	if ev.NextMin.Amount > r.st.nextMin {
		r.st.nextMin = ev.NextMin.Amount
	}
	if ev.HighBid.Amount > r.st.highBid {
		r.st.highBid = ev.HighBid.Amount
	}
	if ev.NextMin.Currency != "" {
		r.st.currency = ev.NextMin.Currency
	}
}

// observeSnapshot reads the lot from a join's snapshot.
func (r *roomRun) observeSnapshot(data json.RawMessage) {
	var snap struct {
		State *struct {
			Lot *struct {
				ID      string `json:"id"`
				Status  string `json:"status"`
				NextMin struct {
					Amount   int64  `json:"amount"`
					Currency string `json:"currency"`
				} `json:"next_min"`
			} `json:"lot"`
		} `json:"state"`
	}
	if json.Unmarshal(data, &snap) != nil || snap.State == nil || snap.State.Lot == nil {
		return
	}
	l := snap.State.Lot
	r.mu.Lock()
	defer r.mu.Unlock()
	if l.ID == r.st.lotID && r.st.nextMin > l.NextMin.Amount {
		// Another of the room's connections has seen later bids than
		// this snapshot (a busy room's snapshot may trail its events a
		// little): prices only rise within a lot.
		r.st.live = l.Status == "live"
		return
	}
	r.st = lotState{lotID: l.ID, live: l.Status == "live", nextMin: l.NextMin.Amount, currency: l.NextMin.Currency}
}

// connectSeller signs the seller in with the room's login link, joins and
// makes sure a lot is live, starting the next pending one if needed.
func (r *roomRun) connectSeller(ctx context.Context, base *url.URL) error {
	if r.info.SellerLoginURL == "" {
		return fmt.Errorf("room %s has no seller_login_url: the load test cannot start its lots", r.info.RoomID)
	}
	var err error
	if r.seller, err = sellerLogin(ctx, base, r.info.SellerLoginURL, r.info.SellerID); err != nil {
		return fmt.Errorf("room %s: %w", r.info.RoomID, err)
	}
	r.conn, err = dialWS(ctx, base, r.seller.Token, r.onSellerEvent)
	if err != nil {
		return fmt.Errorf("room %s seller: %w", r.info.RoomID, err)
	}
	if err := r.conn.join(ctx, r.info.RoomID); err != nil {
		return fmt.Errorf("room %s seller join: %w", r.info.RoomID, err)
	}
	r.mu.Lock()
	r.running = true
	live := r.st.live
	r.mu.Unlock()
	if !live {
		return r.startNext(ctx)
	}
	return nil
}

// startNext starts the room's next lot from its lot_ids (skipping any
// the server refuses, e.g. already sold) and waits for lot.started.
func (r *roomRun) startNext(ctx context.Context) error {
	var lastErr error
	for {
		r.mu.Lock()
		if r.next >= len(r.info.LotIDs) {
			r.mu.Unlock()
			if lastErr != nil {
				return fmt.Errorf("room %s: no lot could start: %w", r.info.RoomID, lastErr)
			}
			return fmt.Errorf("room %s: no lot left to start (create rooms with --lots N)", r.info.RoomID)
		}
		lot := r.info.LotIDs[r.next]
		r.next++
		r.mu.Unlock()
		if _, err := r.conn.request(ctx, signaling.TypeLotStart, signaling.LotData{LotID: lot}); err != nil {
			lastErr = err
			continue
		}
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if st := r.state(); st.live && st.lotID == lot && st.nextMin > 0 {
				r.mu.Lock()
				r.started = append(r.started, lot)
				r.mu.Unlock()
				return nil
			}
			time.Sleep(20 * time.Millisecond)
		}
		return fmt.Errorf("room %s: no lot.started within 5 s of lot.start %s", r.info.RoomID, lot)
	}
}

func (r *roomRun) onSellerEvent(env signaling.Envelope, _ time.Time) {
	if env.Type == signaling.TypeSnapshot {
		r.observeSnapshot(env.Data)
		return
	}
	if env.Type == "bid.accepted" && r.knows(env.Seq) {
		return // a bidder's connection read it first
	}
	var ev wireEvent
	if json.Unmarshal(env.Data, &ev) != nil {
		return
	}
	r.noteBid(env.Type, env.Seq, &ev)
	r.observe(env.Type, env.Seq, &ev)
	if env.Type != "lot.closed" {
		return
	}
	r.mu.Lock()
	r.closed[ev.LotID] = true
	again := r.running
	r.mu.Unlock()
	select {
	case r.closedC <- ev.LotID:
	default:
	}
	if again {
		// The clock closed the lot during the run: go on with the next
		// one, as a seller would. A room with no lot left stays idle.
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = r.startNext(ctx)
		}()
	}
}

// endLive stops starting lots and ends the live lot, waiting for its
// lot.closed so the audit can check its result.
func (r *roomRun) endLive(ctx context.Context) error {
	r.mu.Lock()
	r.running = false
	st := r.st
	r.mu.Unlock()
	if !st.live || r.conn == nil {
		return nil
	}
	if _, err := r.conn.request(ctx, signaling.TypeLotEnd, signaling.LotData{LotID: st.lotID}); err != nil {
		return fmt.Errorf("room %s: end lot %s: %w", r.info.RoomID, st.lotID, err)
	}
	for {
		r.mu.Lock()
		done := r.closed[st.lotID]
		r.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-r.closedC:
		case <-ctx.Done():
			return fmt.Errorf("room %s: lot %s did not close: %w", r.info.RoomID, st.lotID, ctx.Err())
		}
	}
}

// lotsStarted returns how many lots the run started in this room.
func (r *roomRun) lotsStarted() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.started)
}
