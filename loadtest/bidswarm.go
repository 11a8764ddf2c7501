package loadtest

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bidcast/bidcast/signaling"
)

// sentBid is a bid in the ledger: what the client knows, and when.
type sentBid struct {
	mu     sync.Mutex
	c      ClientBid
	sentAt time.Time
}

// seqKey names a bid by its room and ingress seq.
type seqKey struct {
	room string
	seq  int64
}

// member is one bidder's or watcher's connection in a room.
type member struct {
	sess     session
	room     *roomRun
	conn     *wsConn
	inflight atomic.Int64
}

// bidStats are the swarm's counters and histograms; Window histograms are
// reset by each sampling interval.
type bidStats struct {
	sent, acked, accepted, rejected, errReplies, sendFail, skipped, noLot atomic.Int64
	chatSent, chatSeen                                                    atomic.Int64
	ack, decision, lag, chatLag                                           Histogram
	ackWin, lagWin, decWin                                                Histogram

	mu       sync.Mutex
	reasons  map[string]int64
	codes    map[string]int64
	examples map[string]string // first message per error code
}

func (s *bidStats) count(m map[string]int64, k string) {
	s.mu.Lock()
	m[k]++
	s.mu.Unlock()
}

// bidSwarm is the bidders and watchers of several rooms, the ledger of
// every bid sent and the open-loop schedulers.
type bidSwarm struct {
	runID    string
	rooms    []*roomRun
	bidders  []*member
	watchers []*member
	ledger   sync.Map // bid_id → *sentBid
	// bySeq finds a bid by room and ingress seq (from its ack): watchers
	// see others' bids without their bid_id (docs/protocol.md). early
	// keeps, by the same key, when watchers saw a bid whose ack was not yet
	// read.
	bySeq   sync.Map // seqKey → *sentBid
	early   sync.Map // seqKey → *earlySightings
	chats   sync.Map // chat text → time sent
	stats   bidStats
	nBid    atomic.Int64
	nChat   atomic.Int64
	conns   atomic.Int64 // bidders and watchers connected
	closing atomic.Bool  // set when the swarm disconnects on purpose
	connWG  sync.WaitGroup
	rep     *Report

	lastSent, lastAcc, lastChat int64 // owned by the sampler's fill
	watchMu                     sync.Mutex
	// tap, when set before connecting, sees every event on every member's
	// connection first (the hot-lot run reads lot clocks with it), but for
	// the public copies of bid.accepted the room has already read: a newer
	// one went through the tap, and each bid's own copy always does.
	tap func(m *member, env signaling.Envelope, at time.Time)
}

// addWatcher adds a watcher that joined during the run (a spike).
func (s *bidSwarm) addWatcher(m *member) {
	s.watchMu.Lock()
	s.watchers = append(s.watchers, m)
	s.watchMu.Unlock()
}

func newBidSwarm(rep *Report) *bidSwarm {
	var b [4]byte
	_, _ = crand.Read(b[:])
	return &bidSwarm{runID: hex.EncodeToString(b[:]), rep: rep,
		stats: bidStats{reasons: map[string]int64{}, codes: map[string]int64{}, examples: map[string]string{}}}
}

// join signs a guest in, connects it and joins room.
func (s *bidSwarm) join(ctx context.Context, base *url.URL, room *roomRun, name string, watcher bool) (*member, error) {
	sess, err := guestLogin(ctx, base, name)
	if err != nil {
		return nil, err
	}
	m := &member{sess: sess, room: room}
	m.conn, err = dialWS(ctx, base, sess.Token, func(env signaling.Envelope, at time.Time) { s.onEvent(m, watcher, env, at) })
	if err != nil {
		return nil, err
	}
	if err := m.conn.join(ctx, room.info.RoomID); err != nil {
		m.conn.close()
		return nil, fmt.Errorf("%s join %s: %w", name, room.info.RoomID, err)
	}
	s.conns.Add(1)
	s.connWG.Add(1)
	go func() {
		defer s.connWG.Done()
		<-m.conn.done
		s.conns.Add(-1)
		if !s.closing.Load() {
			s.rep.noteError(fmt.Sprintf("%s: connection closed during the run: %v", name, m.conn.err))
		}
	}()
	return m, nil
}

// onEvent handles a room event on a bidder's or watcher's connection.
// Bidders decode only what they need: their own outcomes, and the price
// from a public bid.accepted no other connection of the room has read yet.
func (s *bidSwarm) onEvent(m *member, watcher bool, env signaling.Envelope, at time.Time) {
	known := env.Type == "bid.accepted" && !ownCopy(env.Data) && m.room.knows(env.Seq)
	if s.tap != nil && !known {
		s.tap(m, env, at)
	}
	switch env.Type {
	case "bid.accepted":
		if known {
			// Someone else's bid, whose price the room has already read: a
			// bidder is done, a watcher needs only the bid's seq.
			if !watcher {
				return
			}
			seq, ok := m.room.bids.bidOf(env.Seq)
			if !ok {
				seq, ok = publicBidSeq(env.Data)
			}
			if ok {
				s.watcherSaw(m, seq, at)
				return
			}
		}
	case "chat.message":
		if !watcher {
			return
		}
	case "bid.rejected", "lot.started", "lot.closed":
	default:
		return
	}
	var ev wireEvent
	if json.Unmarshal(env.Data, &ev) != nil {
		return
	}
	if env.Type == "chat.message" {
		if t, ok := s.chats.Load(ev.Text); ok {
			s.stats.chatLag.Record(at.Sub(t.(time.Time)))
			s.stats.chatSeen.Add(1)
		}
		return
	}
	m.room.noteBid(env.Type, env.Seq, &ev)
	m.room.observe(env.Type, env.Seq, &ev)
	id := ev.BidID
	if ev.Bid != nil {
		id = ev.Bid.ID
	}
	v, ok := s.ledger.Load(id)
	if (!ok || id == "") && watcher && ev.Bid != nil && env.Type == "bid.accepted" {
		s.watcherSaw(m, ev.Bid.Seq, at)
		return
	}
	if !ok {
		return
	}
	b := v.(*sentBid)
	if watcher {
		if env.Type == "bid.accepted" {
			d := at.Sub(b.sentAt)
			s.stats.lag.Record(d)
			s.stats.lagWin.Record(d)
		}
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.c.BidderID != m.sess.UserID || b.c.Outcome != "" {
		return
	}
	s.stats.decision.Record(at.Sub(b.sentAt))
	s.stats.decWin.Record(at.Sub(b.sentAt))
	if env.Type == "bid.accepted" {
		b.c.Outcome = "accepted"
		s.stats.accepted.Add(1)
	} else {
		b.c.Outcome, b.c.Reason = "rejected", ev.Reason
		s.stats.rejected.Add(1)
		s.stats.count(s.stats.reasons, ev.Reason)
	}
}

// watcherSaw records a watcher's sighting at of the public copy of the
// bid with ingress seq in its room: the broadcast lag from the bid's send,
// or, when its ack has not been read yet, an early sighting.
func (s *bidSwarm) watcherSaw(m *member, seq int64, at time.Time) {
	if seq <= 0 {
		return
	}
	key := seqKey{m.room.info.RoomID, seq}
	v, ok := s.bySeq.Load(key)
	if !ok {
		s.sawEarly(key, at)
		return
	}
	d := at.Sub(v.(*sentBid).sentAt)
	s.stats.lag.Record(d)
	s.stats.lagWin.Record(d)
}

// placeBid sends one bid from m at the room's next minimum, sometimes a
// step or two above it, without waiting for the answer (open loop).
func (s *bidSwarm) placeBid(ctx context.Context, m *member) {
	st := m.room.state()
	if !st.live || st.nextMin == 0 {
		s.stats.noLot.Add(1)
		return
	}
	if m.inflight.Load() >= 32 {
		s.stats.skipped.Add(1) // the connection is not keeping up; do not queue without bound
		return
	}
	// Most bids are at the next minimum, some jump one or two increments
	// (prices grow linearly, not geometrically, however long the run); one
	// in ten is one unit short, as a bidder who saw the price late would
	// send, so the rejection path is loaded and audited too.
	amount := st.nextMin
	switch r := rand.IntN(10); {
	case r == 0:
		amount--
	case r >= 9:
		amount += 2 * st.step()
	case r >= 6:
		amount += st.step()
	}
	id := fmt.Sprintf("lt-%s-%d", s.runID, s.nBid.Add(1))
	b := &sentBid{c: ClientBid{BidID: id, RoomID: m.room.info.RoomID, LotID: st.lotID, BidderID: m.sess.UserID, Amount: amount}}
	b.sentAt = time.Now()
	s.post(ctx, m, b, st.currency)
}

// post enters b in the ledger and sends it over m's socket; a send that
// fails is counted and marked on b.
func (s *bidSwarm) post(ctx context.Context, m *member, b *sentBid, currency string) {
	s.ledger.Store(b.c.BidID, b)
	s.stats.sent.Add(1)
	m.inflight.Add(1)
	msg := appendBidPlace(make([]byte, 0, 160), b.c.BidID, signaling.BidData{LotID: b.c.LotID, Amount: b.c.Amount,
		Currency: currency, BidID: b.c.BidID})
	err := m.conn.write(ctx, signaling.TypeBidPlace, b.c.BidID, msg, func(env signaling.Envelope, at time.Time) { s.onReply(m, b, env, at) })
	if err != nil {
		m.inflight.Add(-1)
		s.stats.sendFail.Add(1)
		s.stats.count(s.stats.codes, "send_failed")
		b.mu.Lock()
		b.c.ErrorCode = "send_failed"
		b.mu.Unlock()
	}
}

// onReply records a bid's ack or error.
func (s *bidSwarm) onReply(m *member, b *sentBid, env signaling.Envelope, at time.Time) {
	m.inflight.Add(-1)
	b.mu.Lock()
	defer b.mu.Unlock()
	if env.Type == signaling.TypeError {
		var e signaling.ErrorData
		_ = json.Unmarshal(env.Data, &e)
		b.c.ErrorCode = e.Code
		s.stats.errReplies.Add(1)
		s.stats.count(s.stats.codes, e.Code)
		s.stats.mu.Lock()
		if _, ok := s.stats.examples[e.Code]; !ok {
			s.stats.examples[e.Code] = e.Message
		}
		s.stats.mu.Unlock()
		return
	}
	var ack signaling.AckData
	_ = json.Unmarshal(env.Data, &ack)
	d := at.Sub(b.sentAt)
	s.stats.ack.Record(d)
	s.stats.ackWin.Record(d)
	s.stats.acked.Add(1)
	b.c.Acked, b.c.AckSeq = true, ack.Seq
	if ack.Seq > 0 && !ack.Duplicate {
		key := seqKey{b.c.RoomID, ack.Seq}
		s.bySeq.Store(key, b)
		if v, ok := s.early.LoadAndDelete(key); ok {
			e := v.(*earlySightings)
			e.mu.Lock()
			for _, t := range e.at {
				s.stats.lag.Record(t.Sub(b.sentAt))
				s.stats.lagWin.Record(t.Sub(b.sentAt))
			}
			e.at, e.done = nil, true
			e.mu.Unlock()
		}
	}
	if (ack.Status == "accepted" || ack.Status == "rejected") && b.c.Outcome == "" {
		b.c.Outcome, b.c.Reason = ack.Status, ack.Reason
	}
}

// earlySightings are the times watchers saw a bid before its ack told
// which bid it was.
type earlySightings struct {
	mu   sync.Mutex
	at   []time.Time
	done bool // the ack came; sightings after it go through bySeq
}

// sawEarly keeps a watcher's sighting of a bid not yet acked.
func (s *bidSwarm) sawEarly(key seqKey, at time.Time) {
	v, _ := s.early.LoadOrStore(key, &earlySightings{})
	e := v.(*earlySightings)
	e.mu.Lock()
	defer e.mu.Unlock()
	// The ack stores bySeq before it collects the sightings, so if it came
	// meanwhile the bid is found here.
	if b, ok := s.bySeq.Load(key); ok || e.done {
		if ok {
			d := at.Sub(b.(*sentBid).sentAt)
			s.stats.lag.Record(d)
			s.stats.lagWin.Record(d)
		}
		s.early.CompareAndDelete(key, e)
		return
	}
	e.at = append(e.at, at)
}

// sendChat sends one chat line from m; watchers match it by its text.
func (s *bidSwarm) sendChat(ctx context.Context, m *member) {
	text := fmt.Sprintf("lt %s %d", s.runID, s.nChat.Add(1))
	s.chats.Store(text, time.Now())
	s.stats.chatSent.Add(1)
	if err := m.conn.send(ctx, signaling.TypeChatSend, "c"+strings.TrimPrefix(text, "lt "), signaling.ChatSendData{Text: text},
		func(env signaling.Envelope, _ time.Time) {
			if env.Type == signaling.TypeError {
				var e signaling.ErrorData
				_ = json.Unmarshal(env.Data, &e)
				s.stats.count(s.stats.codes, "chat_"+e.Code)
			}
		}); err != nil {
		s.stats.count(s.stats.codes, "chat_send_failed")
	}
}

// openLoop calls fire at rate per second until ctx ends or limit calls
// were made, on a schedule that does not wait for answers: a slow server
// does not slow the offered load down, it builds up instead.
func openLoop(ctx context.Context, rate float64, limit int64, fire func(n int64)) {
	if rate <= 0 {
		return
	}
	start := time.Now()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var n int64
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			due := int64(now.Sub(start).Seconds() * rate)
			for ; n < due; n++ {
				if limit > 0 && n >= limit {
					return
				}
				fire(n)
			}
		}
	}
}

// ClientBids returns the ledger as the audit reads it.
func (s *bidSwarm) clientBids() []ClientBid {
	var out []ClientBid
	s.ledger.Range(func(_, v any) bool {
		b := v.(*sentBid)
		b.mu.Lock()
		out = append(out, b.c)
		b.mu.Unlock()
		return true
	})
	return out
}

// undecided counts acked bids whose outcome has not been heard.
func (s *bidSwarm) undecided() int64 {
	var n int64
	s.ledger.Range(func(_, v any) bool {
		b := v.(*sentBid)
		b.mu.Lock()
		if b.c.Acked && b.c.Outcome == "" {
			n++
		}
		b.mu.Unlock()
		return true
	})
	return n
}
