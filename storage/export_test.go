package storage

import "context"

// CommitBatchInTx exposes CommitBatch's transaction path, which CommitBatch
// takes only after its one statement refused a row, to test it directly.
func (r *Lots) CommitBatchInTx(ctx context.Context, roomID string, rows []BidRecord, upd *LotUpdate) error {
	token, err := r.tokenFor(roomID)
	if err != nil {
		return err
	}
	return r.commitBatchInTx(ctx, roomID, token, rows, upd, nil)
}
