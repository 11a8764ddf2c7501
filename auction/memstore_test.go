package auction

import (
	"context"
	"fmt"
	"sync"
)

// MemStore is an in-memory Store for this package's tests and benchmarks
// (other packages test against storage on a real Postgres). It keeps each lot's latest state and every accepted bid, and
// enforces versions like a database store. It is safe for concurrent use.
type MemStore struct {
	mu   sync.Mutex
	lots map[string]LotState
	bids map[string][]BidRecord
	// last is the last committed batch's decisions (kept with the bids).
	last []Decision
	// Fail, when set, is called before each commit; a non-nil result fails
	// the commit, to test the actor's unavailable and retry paths.
	Fail func() error
	// KeepBids, when false, makes the store drop bid records and keep only
	// lot states, so a long benchmark does not measure memory growth.
	KeepBids bool
}

// NewMemStore returns an empty MemStore that keeps bid records.
func NewMemStore() *MemStore {
	return &MemStore{lots: map[string]LotState{}, bids: map[string][]BidRecord{}, KeepBids: true}
}

// CommitBatch implements Store: the lot's state, if any, and the accepted
// bids with their proxy bids (rejections are not kept).
func (m *MemStore) CommitBatch(ctx context.Context, c BatchCommit) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c.Lot == nil {
		if err := ctx.Err(); err != nil {
			return err
		}
		if m.Fail != nil {
			return m.Fail()
		}
		return nil
	}
	if err := m.checkLocked(ctx, *c.Lot); err != nil {
		return err
	}
	m.lots[c.Lot.LotID] = *c.Lot
	if m.KeepBids {
		m.last = append([]Decision(nil), c.Decisions...)
		for _, d := range c.Decisions {
			if d.Reason == "" {
				m.bids[c.Lot.LotID] = append(m.bids[c.Lot.LotID], d.Bid)
				m.bids[c.Lot.LotID] = append(m.bids[c.Lot.LotID], d.AutoBids...)
			}
		}
	}
	return nil
}

// CommitLot implements Store.
func (m *MemStore) CommitLot(ctx context.Context, s LotState) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.checkLocked(ctx, s); err != nil {
		return err
	}
	m.lots[s.LotID] = s
	return nil
}

// checkLocked applies the failure hook and the version rule.
func (m *MemStore) checkLocked(ctx context.Context, s LotState) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if m.Fail != nil {
		if err := m.Fail(); err != nil {
			return err
		}
	}
	if old, ok := m.lots[s.LotID]; ok && old.Version != s.Version-1 {
		return fmt.Errorf("commit lot %s version %d over %d: %w", s.LotID, s.Version, old.Version, ErrVersionConflict)
	}
	return nil
}

// Lot returns the lot's latest committed state.
func (m *MemStore) Lot(lotID string) (LotState, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.lots[lotID]
	return s, ok
}

// Bids returns a copy of the lot's committed bid records in commit order.
func (m *MemStore) Bids(lotID string) []BidRecord {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]BidRecord(nil), m.bids[lotID]...)
}

// lastDecisions returns the decisions of the last committed batch that
// changed a lot.
func (m *MemStore) lastDecisions() []Decision {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last
}
