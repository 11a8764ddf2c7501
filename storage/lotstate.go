package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// LotUpdate is a lot's live state after a change made by its room actor.
// ExpectVersion is the version the actor started from; the write succeeds
// only if the stored lot still has it, so a stale owner (one that lost its
// lease) can never overwrite a newer state.
type LotUpdate struct {
	LotID         string
	ExpectVersion int64
	Version       int64
	State         string
	Deadline      *time.Time
	RemainingMS   *int64
	HighBid       *int64
	LeaderID      *string
	HighBidID     *string
	ProxyState    json.RawMessage
}

// LotResult is how a lot ended.
type LotResult struct {
	LotID        string
	RoomID       string
	Outcome      string // sold, unsold or cancelled
	WinnerID     *string
	WinningBidID *string
	Price        *int64
	Currency     string
	ClosedAt     time.Time
}

// CommitBids records accepted bids (the bidder's, and any proxy bids the
// actor placed in answer) and the lot's new state in one transaction. If
// the first bid's bidder decided its bid_id before, nothing is written and the
// original row is returned with fresh = false. A version mismatch
// (ErrConflict) or a stale fencing token (Fenced; ErrFenced) writes
// nothing.
func (r *Lots) CommitBids(ctx context.Context, bids []BidRecord, upd LotUpdate) (first BidRecord, fresh bool, err error) {
	if len(bids) == 0 {
		return BidRecord{}, false, fmt.Errorf("commit bids on lot %s: %w: no bids", upd.LotID, ErrInvalid)
	}
	err = r.db.InTx(ctx, func(tx pgx.Tx) error {
		if err := CheckFence(ctx, tx, r.fence.roomID, r.fence.token); err != nil {
			return err
		}
		for i, b := range bids {
			b.Outcome = OutcomeAccepted
			rec, isNew, err := insertBid(ctx, tx, b)
			if err != nil {
				return err
			}
			if i == 0 {
				first, fresh = rec, isNew
				if !isNew {
					return errAlreadyDecided
				}
			} else if !isNew {
				// The holder's bid_id is taken by another bid: a replay
				// cannot cure it (it names the same ID again).
				return fmt.Errorf("proxy bid %s: %w: its bidder already has a bid with this ID", b.BidID, ErrInvalid)
			}
		}
		return updateLot(ctx, tx, upd)
	})
	if errors.Is(err, errAlreadyDecided) {
		return first, false, nil
	}
	if err != nil {
		return BidRecord{}, false, fmt.Errorf("commit bids on lot %s: %w", upd.LotID, err)
	}
	return first, true, nil
}

// errAlreadyDecided rolls back CommitBids when its bid was decided before.
var errAlreadyDecided = errors.New("bid already decided")

// CommitState records a lot's new state (started, paused, resumed, closing,
// closed) and, when result is not nil, how it ended, in one transaction. A
// relisted lot that ends again replaces its earlier result. Through a
// repository fenced for the lot's room (Fenced), a stale fencing token is
// ErrFenced and writes nothing.
func (r *Lots) CommitState(ctx context.Context, upd LotUpdate, result *LotResult) error {
	err := r.db.InTx(ctx, func(tx pgx.Tx) error {
		if err := CheckFence(ctx, tx, r.fence.roomID, r.fence.token); err != nil {
			return err
		}
		if err := updateLot(ctx, tx, upd); err != nil {
			return err
		}
		if result == nil {
			return nil
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO lot_results (lot_id, room_id, outcome, winner_id, winning_bid_id, price, currency, closed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (lot_id) DO UPDATE SET outcome = EXCLUDED.outcome, winner_id = EXCLUDED.winner_id,
				winning_bid_id = EXCLUDED.winning_bid_id, price = EXCLUDED.price, currency = EXCLUDED.currency,
				closed_at = EXCLUDED.closed_at`,
			result.LotID, result.RoomID, result.Outcome, result.WinnerID, result.WinningBidID, result.Price,
			result.Currency, result.ClosedAt)
		return mapError(err)
	})
	if err != nil {
		return fmt.Errorf("commit state %s of lot %s: %w", upd.State, upd.LotID, err)
	}
	return nil
}

func updateLot(ctx context.Context, tx pgx.Tx, u LotUpdate) error {
	tag, err := tx.Exec(ctx, updateLotSQL, updateLotArgs(u)...)
	if err != nil {
		return mapError(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: lot %s is not at version %d", ErrConflict, u.LotID, u.ExpectVersion)
	}
	return nil
}

// updateLotSQL writes a lot's new state if it is still at the expected
// version; no row updated means it is not.
const updateLotSQL = `
	UPDATE lots SET state = $3, deadline = $4, remaining_ms = $5, high_bid = $6, leader_id = $7,
		high_bid_id = $8, proxy_state = $9, version = $10, updated_at = now()
	WHERE id = $1 AND version = $2`

func updateLotArgs(u LotUpdate) []any {
	proxy := u.ProxyState
	if proxy == nil {
		proxy = json.RawMessage("[]")
	}
	return []any{u.LotID, u.ExpectVersion, u.State, u.Deadline, u.RemainingMS, u.HighBid, u.LeaderID, u.HighBidID,
		proxy, u.Version}
}

// GetResult returns how a lot ended.
func (r *Lots) GetResult(ctx context.Context, lotID string) (LotResult, error) {
	var res LotResult
	err := r.db.Pool.QueryRow(ctx, `SELECT lot_id, room_id, outcome, winner_id, winning_bid_id, price, currency, closed_at
		FROM lot_results WHERE lot_id = $1`, lotID).Scan(&res.LotID, &res.RoomID, &res.Outcome, &res.WinnerID,
		&res.WinningBidID, &res.Price, &res.Currency, &res.ClosedAt)
	if err != nil {
		return LotResult{}, fmt.Errorf("get result of lot %s: %w", lotID, mapError(err))
	}
	return res, nil
}
