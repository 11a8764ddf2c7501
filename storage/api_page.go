package storage

import (
	"context"
	"fmt"
	"time"
)

// PageKey is the sort key of the last row a client has seen. Listings that
// take one return only rows strictly after it in their order, so a page
// boundary never shifts when rows are inserted before it (keyset
// pagination, unlike OFFSET).
type PageKey struct {
	// At is the row's timestamp in the listing's order.
	At time.Time
	// ID breaks ties between rows with the same timestamp.
	ID string
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

// ListBySellerAfter returns up to limit of a seller's items, newest first,
// starting after the key (nil means from the start).
func (r *Items) ListBySellerAfter(ctx context.Context, sellerID string, after *PageKey, limit int) ([]Item, error) {
	if !validID(sellerID) {
		return nil, nil
	}
	at, id := pageArgs(after)
	rows, err := r.db.Pool.Query(ctx, `SELECT `+itemColumns+` FROM items
		WHERE seller_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
		ORDER BY created_at DESC, id DESC LIMIT $4`, sellerID, at, id, limit)
	if err != nil {
		return nil, fmt.Errorf("list items of %s: %w", sellerID, mapError(err))
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, fmt.Errorf("list items of %s: %w", sellerID, err)
		}
		out = append(out, it)
	}
	return out, mapError(rows.Err())
}

// MediaOf returns the media of the given items in display order, keyed by
// item ID, in one query so that a page of items costs two round trips.
func (r *Items) MediaOf(ctx context.Context, itemIDs []string) (map[string][]MediaRef, error) {
	out := make(map[string][]MediaRef, len(itemIDs))
	if len(itemIDs) == 0 {
		return out, nil
	}
	rows, err := r.db.Pool.Query(ctx, `SELECT id, item_id, kind, status, content_type, width, height,
		duration_ms, position, failure_reason FROM item_media WHERE item_id = ANY($1::uuid[])
		ORDER BY item_id, position, created_at`, itemIDs)
	if err != nil {
		return nil, fmt.Errorf("list media of %d items: %w", len(itemIDs), mapError(err))
	}
	defer rows.Close()
	for rows.Next() {
		var m MediaRef
		if err := rows.Scan(&m.ID, &m.ItemID, &m.Kind, &m.Status, &m.ContentType, &m.Width, &m.Height,
			&m.DurationMS, &m.Position, &m.FailureReason); err != nil {
			return nil, fmt.Errorf("list media: %w", mapError(err))
		}
		out[m.ItemID] = append(out[m.ItemID], m)
	}
	return out, mapError(rows.Err())
}

// pageArgs turns an optional key into query arguments; a nil key gives
// NULLs, which the queries read as "from the start".
func pageArgs(after *PageKey) (*time.Time, *string) {
	if after == nil {
		return nil, nil
	}
	at, id := after.At, after.ID
	return &at, &id
}

// GetMany returns the items with the given IDs, keyed by ID; IDs that do
// not exist are simply absent.
func (r *Items) GetMany(ctx context.Context, ids []string) (map[string]Item, error) {
	out := make(map[string]Item, len(ids))
	valid := make([]string, 0, len(ids))
	for _, id := range ids {
		if validID(id) {
			valid = append(valid, id)
		}
	}
	if len(valid) == 0 {
		return out, nil
	}
	rows, err := r.db.Pool.Query(ctx, `SELECT `+itemColumns+` FROM items WHERE id = ANY($1::uuid[])`, valid)
	if err != nil {
		return nil, fmt.Errorf("get %d items: %w", len(valid), mapError(err))
	}
	defer rows.Close()
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, fmt.Errorf("get items: %w", err)
		}
		out[it.ID] = it
	}
	return out, mapError(rows.Err())
}
