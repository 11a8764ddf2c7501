package bidding

import (
	"context"
	"time"
)

// snapshotDue reports whether the batch of n events published at now
// should carry the room's snapshot: when the stored one is snapEvery old,
// when snapMaxEvents went out after it, or when events were dropped (the
// room.state that follows needs a fresh one).
func (p *publisher) snapshotDue(now time.Time, n int) bool {
	if p.snapshot == nil {
		return false
	}
	return p.dropped.Load() || now.Sub(p.lastSnap) >= p.snapEvery || p.sinceSnap+n >= p.snapMaxEvents
}

// noteSnapshot records a published batch of n events taken at start, with
// the snapshot attached or not.
func (p *publisher) noteSnapshot(start time.Time, attached bool, n int) {
	switch {
	case attached:
		p.lastSnap, p.sinceSnap, p.snapBehind = start, 0, false
	case p.snapshot != nil && n > 0:
		p.sinceSnap += n
		p.snapBehind = true
	}
}

// publicSnapshot asks the actor for its state and returns it as everyone
// may see it, or nil when the actor cannot answer in time.
func (p *publisher) publicSnapshot(ctx context.Context) any {
	sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, err := p.snapshot(sctx)
	if err != nil {
		return nil
	}
	return PublicSnapshotOf(s, p.aliases, p.findTrigger)
}

// storeSnapshot stores the room's snapshot on its own, current as of the
// log's latest event, once events went out without one and the room went
// quiet. On failure it tries again snapEvery later.
func (p *publisher) storeSnapshot(ctx context.Context) {
	start := time.Now()
	snap := p.publicSnapshot(ctx)
	if snap == nil {
		p.lastSnap = start
		return
	}
	if _, err := p.log.PutSnapshot(ctx, p.roomID, snap); err != nil {
		p.logger.Warn("storing the room snapshot failed; retrying", "room", p.roomID, "err", err)
		p.lastSnap = start
		return
	}
	p.stages.since(StageSnapshot, start)
	p.lastSnap, p.sinceSnap, p.snapBehind = start, 0, false
}
