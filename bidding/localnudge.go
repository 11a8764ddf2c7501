package bidding

import (
	"context"
	"strconv"
	"time"
)

// LocalRooms is the node an Ingress runs on, for bids to the rooms it owns
// itself. The sequencing script compares the room's lease with Holder: when
// this node instance holds it, the script publishes no nudge, and Submit
// hands the nudge to the room's pipeline in the process instead (no Redis
// pub/sub message, and no trip back from Redis before the room reads the
// bid). Node implements it.
type LocalRooms interface {
	// Holder is the value this node instance writes into the leases it
	// holds ("" for none).
	Holder() string
	// NudgeLocal asks the pipeline of roomID on this node to apply every
	// bid sequenced up to seq, and reports whether the room runs here.
	NudgeLocal(roomID string, seq int64) bool
}

var _ LocalRooms = (*Node)(nil)

// Holder implements LocalRooms.
func (n *Node) Holder() string { return n.holder }

// NudgeLocal implements LocalRooms. A room not (or no longer, or not yet)
// running here answers false.
func (n *Node) NudgeLocal(roomID string, seq int64) bool {
	n.mu.Lock()
	o := n.owned[roomID]
	n.mu.Unlock()
	if o == nil {
		return false
	}
	r, ok := o.room.(interface{ Nudge(seq int64) bool })
	return ok && r.Nudge(seq)
}

// Nudge asks the room's pipeline to apply every bid sequenced up to seq;
// false until the pipeline has started.
func (r *LiveRoom) Nudge(seq int64) bool {
	p := r.drainer.Load()
	if p == nil {
		return false
	}
	p.seq.nudge(seq, nil)
	return true
}

// nudgeHere delivers the nudge of a fresh bid whose room's lease this node
// instance held when the script ran, which therefore published none. If
// the room does not run here after all (still starting, or just stopped),
// the nudge goes out through Redis as the script would have sent it, for
// whichever pipeline subscribes; a failure to send it is left to the next
// nudge and the bid's backstop task, since the bid itself is durable.
func (in *Ingress) nudgeHere(ctx context.Context, roomID string, seq, stampUS int64) {
	if in.cfg.Local.NudgeLocal(roomID, seq) {
		in.cfg.Stages.Observe(StageNudge, time.Since(time.UnixMicro(stampUS)))
		return
	}
	_ = in.rdb.Publish(ctx, nudgeChannel(roomID), nudgeMessage(seq, stampUS)).Err()
}

// nudgeMessage is the nudge "seq µs" (see parseNudge).
func nudgeMessage(seq, stampUS int64) string {
	return strconv.FormatInt(seq, 10) + " " + strconv.FormatInt(stampUS, 10)
}
