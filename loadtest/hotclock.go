package loadtest

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/bidcast/bidcast/signaling"
)

// hotEvent is the part of a room event the hot-lot run reads: the lot's
// deadline and, for bids, their seq and the server's receive time.
type hotEvent struct {
	LotID    string    `json:"lot_id"`
	Status   string    `json:"status"`
	Deadline time.Time `json:"deadline"`
	Reason   string    `json:"reason"`
	Bid      *struct {
		ID         string    `json:"bid_id"`
		Seq        int64     `json:"seq"`
		ReceivedAt time.Time `json:"received_at"`
	} `json:"bid"`
	Result *struct {
		Status   string    `json:"status"`
		ClosedAt time.Time `json:"closed_at"`
	} `json:"result"`
}

// hotClock follows each stormed lot's clock from the room events every
// member sees (each event arrives once per member; the first copy counts),
// and keeps the server's receive time of each of the run's own bids.
type hotClock struct {
	mu   sync.Mutex
	lots map[string]*hotLotClock // by lot id
	room map[string]string       // room id → its lot being stormed
	own  map[string]ownDecision  // bid_id → what its bidder was told
}

// hotLotClock is one lot's clock as the events told it.
type hotLotClock struct {
	roomID, lotID, policy string
	start, deadline       time.Time // deadline at the start of the run; the latest one
	accepted              map[int64]HotAccept
	result                string
	closedAt              time.Time
	closed                chan struct{}
}

// ownDecision is a bid's decision as its own bidder heard it.
type ownDecision struct {
	seq        int64
	receivedAt time.Time
	outcome    string
	reason     string
}

func newHotClock() *hotClock {
	return &hotClock{lots: map[string]*hotLotClock{}, room: map[string]string{}, own: map[string]ownDecision{}}
}

// lotLocked returns the clock of a room's lot, starting it if it is new.
func (h *hotClock) lotLocked(roomID, lotID string) *hotLotClock {
	l := h.lots[lotID]
	if l == nil {
		l = &hotLotClock{roomID: roomID, lotID: lotID, accepted: map[int64]HotAccept{}, closed: make(chan struct{})}
		h.lots[lotID] = l
		if _, ok := h.room[roomID]; !ok {
			h.room[roomID] = lotID
		}
	}
	return l
}

// observe is the bid swarm's tap.
func (h *hotClock) observe(m *member, env signaling.Envelope, _ time.Time) {
	roomID := m.room.info.RoomID
	if env.Type == signaling.TypeSnapshot {
		var snap struct {
			State *struct {
				Lot *struct {
					ID       string    `json:"id"`
					Status   string    `json:"status"`
					Policy   string    `json:"policy"`
					Deadline time.Time `json:"deadline"`
				} `json:"lot"`
			} `json:"state"`
		}
		if json.Unmarshal(env.Data, &snap) != nil || snap.State == nil || snap.State.Lot == nil {
			return
		}
		sl := snap.State.Lot
		h.mu.Lock()
		defer h.mu.Unlock()
		l := h.lotLocked(roomID, sl.ID)
		if l.policy == "" {
			l.policy = sl.Policy
		}
		if l.start.IsZero() && sl.Status == "live" {
			l.start = sl.Deadline
		}
		if sl.Deadline.After(l.deadline) {
			l.deadline = sl.Deadline
		}
		return
	}
	switch env.Type {
	case "lot.started", "bid.accepted", "bid.rejected", "clock", "lot.closing", "lot.closed":
	default:
		return
	}
	var ev hotEvent
	if json.Unmarshal(env.Data, &ev) != nil || ev.LotID == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	l := h.lotLocked(roomID, ev.LotID)
	if !ev.Deadline.IsZero() {
		if l.start.IsZero() {
			l.start = ev.Deadline
		}
		// A soft-close lot's deadline only moves later; events of one
		// connection arrive in order, copies on others may lag behind.
		if ev.Deadline.After(l.deadline) {
			l.deadline = ev.Deadline
		}
	}
	switch env.Type {
	case "bid.accepted":
		if ev.Bid != nil && ev.Bid.Seq > 0 {
			if _, seen := l.accepted[ev.Bid.Seq]; !seen {
				l.accepted[ev.Bid.Seq] = HotAccept{Seq: ev.Bid.Seq, ReceivedAt: ev.Bid.ReceivedAt, Deadline: ev.Deadline}
			}
		}
	case "lot.closed":
		if l.result == "" {
			l.result = "closed"
			if ev.Result != nil {
				l.result, l.closedAt = ev.Result.Status, ev.Result.ClosedAt
			}
			close(l.closed)
		}
	}
	if (env.Type == "bid.accepted" || env.Type == "bid.rejected") && ev.Bid != nil && ev.Bid.ID != "" {
		d := ownDecision{seq: ev.Bid.Seq, receivedAt: ev.Bid.ReceivedAt, outcome: "accepted"}
		if env.Type == "bid.rejected" {
			d.outcome, d.reason = "rejected", ev.Reason
		}
		h.own[ev.Bid.ID] = d
	}
}

// lotOf returns the lot stormed in a room, its policy and its current
// deadline (zero until an event or a snapshot told it).
func (h *hotClock) lotOf(roomID string) (lot *hotLotClock, deadline time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	id, ok := h.room[roomID]
	if !ok {
		return nil, time.Time{}
	}
	l := h.lots[id]
	return l, l.deadline
}

// lot assembles a stormed lot for the audit from the run's ledger.
func (h *hotClock) lot(l *hotLotClock, sent []ClientBid, sentAt map[string]float64) HotLot {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := HotLot{RoomID: l.roomID, LotID: l.lotID, Policy: l.policy, StartDeadline: l.start, FinalDeadline: l.deadline,
		ClosedAt: l.closedAt, Result: l.result}
	for _, a := range l.accepted {
		out.Accepted = append(out.Accepted, a)
	}
	for _, c := range sent {
		if c.LotID != l.lotID {
			continue
		}
		b := HotBid{BidID: c.BidID, RoomID: c.RoomID, LotID: c.LotID, BidderID: c.BidderID, Amount: c.Amount,
			SentToDeadlineMS: sentAt[c.BidID], Acked: c.Acked, Seq: c.AckSeq, ErrorCode: c.ErrorCode,
			Outcome: c.Outcome, Reason: c.Reason}
		if d, ok := h.own[c.BidID]; ok {
			b.ReceivedAt = d.receivedAt
			if b.Seq == 0 {
				b.Seq = d.seq
			}
		}
		out.Bids = append(out.Bids, b)
	}
	return out
}
