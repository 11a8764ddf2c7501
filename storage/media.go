package storage

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/bidcast/bidcast/internal/ids"
)

// MediaFile is an item_media row as the media service works with it: the
// listed fields plus where the original is stored and its size.
type MediaFile struct {
	MediaRef
	// StorageKey is the store key of the uploaded original.
	StorageKey string
	// SizeBytes is the original's length.
	SizeBytes int64
}

// Media is the repository of items' uploaded photos and clips.
type Media struct{ db *DB }

// NewMedia returns the media repository over db.
func NewMedia(db *DB) *Media { return &Media{db: db} }

// MediaQuota bounds what one seller's items may hold together: the number
// of media entries and the total size of their originals. Entries count
// whatever their status, since a failed entry keeps its original until it
// is deleted. The zero MediaQuota (no SellerID) caps nothing.
type MediaQuota struct {
	// SellerID is the seller whose items share the quota.
	SellerID string
	// MaxFiles and MaxBytes are the caps.
	MaxFiles int
	MaxBytes int64
}

// Errors of a refused insert; both wrap ErrLimit.
var (
	// ErrMediaFiles: the seller already has MaxFiles entries.
	ErrMediaFiles = fmt.Errorf("media files per seller: %w", ErrLimit)
	// ErrMediaBytes: the new original would take the seller past MaxBytes.
	ErrMediaBytes = fmt.Errorf("media bytes per seller: %w", ErrLimit)
)

// MediaUsage returns how many media entries a seller's items hold and the
// total size of their originals. It is a snapshot, good for refusing an
// upload early; Insert makes the binding check.
func (r *Media) MediaUsage(ctx context.Context, sellerID string) (files int, bytes int64, err error) {
	if !ids.Valid(sellerID) {
		return 0, 0, fmt.Errorf("media usage of %q: %w", sellerID, ErrInvalid)
	}
	err = r.db.Pool.QueryRow(ctx, mediaUsageSQL, sellerID).Scan(&files, &bytes)
	if err != nil {
		return 0, 0, fmt.Errorf("media usage of %s: %w", sellerID, mapError(err))
	}
	return files, bytes, nil
}

const mediaUsageSQL = `SELECT count(*), COALESCE(sum(m.size_bytes), 0)::bigint
	FROM item_media m JOIN items i ON i.id = m.item_id WHERE i.seller_id = $1`

// Insert records a new upload with status processing, after the item's
// last entry, unless it would take the seller past q (then ErrMediaFiles
// or ErrMediaBytes). The usage is counted and the row inserted in one
// transaction under the seller's lock, so parallel uploads cannot both
// take the last slot. m.ID is set by the caller (it names the stored
// files); the returned ref has its position.
func (r *Media) Insert(ctx context.Context, m MediaFile, q MediaQuota) (MediaRef, error) {
	if !ids.Valid(m.ID) || !ids.Valid(m.ItemID) || (q.SellerID != "" && !ids.Valid(q.SellerID)) {
		return MediaRef{}, fmt.Errorf("insert media %q of item %q: %w", m.ID, m.ItemID, ErrInvalid)
	}
	ref := m.MediaRef
	ref.Status, ref.FailureReason = "processing", ""
	err := r.db.InTx(ctx, func(tx pgx.Tx) error {
		if q.SellerID != "" {
			if err := lockOwner(ctx, tx, "media", q.SellerID); err != nil {
				return err
			}
			var files int
			var bytes int64
			if err := tx.QueryRow(ctx, mediaUsageSQL, q.SellerID).Scan(&files, &bytes); err != nil {
				return mapError(err)
			}
			switch {
			case files >= q.MaxFiles:
				return ErrMediaFiles
			case m.SizeBytes > q.MaxBytes-bytes:
				return ErrMediaBytes
			}
		}
		return mapError(tx.QueryRow(ctx, `INSERT INTO item_media
			(id, item_id, kind, status, content_type, storage_key, size_bytes, width, height, position)
			VALUES ($1, $2, $3, 'processing', $4, $5, $6, $7, $8,
				(SELECT COALESCE(max(position) + 1, 0) FROM item_media WHERE item_id = $2))
			RETURNING position`, m.ID, m.ItemID, m.Kind, m.ContentType, m.StorageKey, m.SizeBytes,
			m.Width, m.Height).Scan(&ref.Position))
	})
	if err != nil {
		return MediaRef{}, fmt.Errorf("insert media %s of item %s: %w", m.ID, m.ItemID, err)
	}
	return ref, nil
}

// Get returns one entry, or ErrNotFound.
func (r *Media) Get(ctx context.Context, id string) (MediaFile, error) {
	if !ids.Valid(id) {
		return MediaFile{}, fmt.Errorf("get media %q: %w", id, ErrNotFound)
	}
	var m MediaFile
	err := r.db.Pool.QueryRow(ctx, `SELECT id, item_id, kind, status, content_type, width, height,
		duration_ms, position, failure_reason, storage_key, size_bytes FROM item_media WHERE id = $1`, id).
		Scan(&m.ID, &m.ItemID, &m.Kind, &m.Status, &m.ContentType, &m.Width, &m.Height,
			&m.DurationMS, &m.Position, &m.FailureReason, &m.StorageKey, &m.SizeBytes)
	if err != nil {
		return MediaFile{}, fmt.Errorf("get media %s: %w", id, mapError(err))
	}
	return m, nil
}

// Delete removes an entry of the given item, or answers ErrNotFound when
// the item has no such entry.
func (r *Media) Delete(ctx context.Context, itemID, id string) error {
	if !ids.Valid(id) || !ids.Valid(itemID) {
		return fmt.Errorf("delete media %q: %w", id, ErrNotFound)
	}
	tag, err := r.db.Pool.Exec(ctx, `DELETE FROM item_media WHERE id = $1 AND item_id = $2`, id, itemID)
	if err != nil {
		return fmt.Errorf("delete media %s: %w", id, mapError(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete media %s of item %s: %w", id, itemID, ErrNotFound)
	}
	return nil
}

// MarkReady records a processed entry with its (upright) size and, for a
// video, its length. It reports false when the entry is no longer
// processing (deleted meanwhile, or already settled), and changes nothing
// then.
func (r *Media) MarkReady(ctx context.Context, id string, width, height int, durationMS *int32) (bool, error) {
	tag, err := r.db.Pool.Exec(ctx, `UPDATE item_media SET status = 'ready', failure_reason = '',
		width = $2, height = $3, duration_ms = $4, updated_at = now()
		WHERE id = $1 AND status = 'processing'`, id, width, height, durationMS)
	if err != nil {
		return false, fmt.Errorf("mark media %s ready: %w", id, mapError(err))
	}
	return tag.RowsAffected() == 1, nil
}

// MarkFailed records why processing failed. Like MarkReady, it reports
// false and changes nothing when the entry is no longer processing.
func (r *Media) MarkFailed(ctx context.Context, id, reason string) (bool, error) {
	tag, err := r.db.Pool.Exec(ctx, `UPDATE item_media SET status = 'failed', failure_reason = $2,
		updated_at = now() WHERE id = $1 AND status = 'processing'`, id, reason)
	if err != nil {
		return false, fmt.Errorf("mark media %s failed: %w", id, mapError(err))
	}
	return tag.RowsAffected() == 1, nil
}

// MediaRef is one picture or clip attached to an item, as the API lists it.
type MediaRef struct {
	ID          string
	ItemID      string
	Kind        string
	Status      string
	ContentType string
	Width       *int32
	Height      *int32
	DurationMS  *int32
	Position    int
	// FailureReason says why processing failed; empty unless Status is
	// "failed".
	FailureReason string
}
