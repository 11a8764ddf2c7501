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

// noteSnapshot records a published batch of n events taken at start, the
// last with seq last, with the snapshot attached or not.
func (p *publisher) noteSnapshot(start time.Time, attached bool, n int, last int64) {
	switch {
	case attached:
		p.lastSnap, p.sinceSnap, p.snapBehind = start, 0, false
		if last > 0 {
			p.storedSeq = last
		}
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
	seq, err := p.log.PutSnapshot(ctx, p.roomID, snap)
	if err != nil {
		p.logger.Warn("storing the room snapshot failed; retrying", "room", p.roomID, "err", err)
		p.lastSnap, p.snapBehind = start, true
		return
	}
	p.stages.since(StageSnapshot, start)
	p.lastSnap, p.sinceSnap, p.snapBehind, p.storedSeq = start, 0, false, seq
}

// checkSnapshot stores the snapshot again when Redis no longer has the one
// stored last (its seq is missing or older): a Redis restarted without its
// last writes would otherwise keep an old one until the room's next event.
func (p *publisher) checkSnapshot(ctx context.Context) {
	if p.snapshot == nil || p.snapBehind || p.storedSeq == 0 {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	found, err := p.log.SnapshotSeq(cctx, p.roomID)
	if err != nil || found >= p.storedSeq {
		return
	}
	p.logger.Warn("the room's stored snapshot is gone or older than the one stored last (Redis lost writes?); storing it again",
		"room", p.roomID, "stored_seq", p.storedSeq, "found_seq", found)
	p.storeSnapshot(ctx)
}
