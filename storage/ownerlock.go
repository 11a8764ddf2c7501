package storage

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// lockOwner takes a transaction-scoped advisory lock on one owner's rows of
// one kind (scope names the kind: "webhooks", "media"). Writes that count an
// owner's rows against a cap take it before counting, so two concurrent
// writes cannot both see room for the last slot; the lock is released at
// commit or rollback, and it blocks nothing but the same owner's capped
// writes of the same kind (it locks no table row).
//
// The key is a 64-bit hash of scope and owner; a collision between two
// owners only makes their capped writes wait for each other.
func lockOwner(ctx context.Context, tx pgx.Tx, scope, ownerID string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
		"bidcast:"+scope+":"+ownerID); err != nil {
		return fmt.Errorf("lock %s of %s: %w", scope, ownerID, mapError(err))
	}
	return nil
}
