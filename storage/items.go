package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/bidcast/bidcast/internal/ids"
)

// Item is a thing a seller offers; a lot puts it up for auction in a room.
type Item struct {
	ID          string
	SellerID    string
	Title       string
	Description string
	Category    string
	Version     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Items is the repository of sellers' catalogues.
type Items struct{ db *DB }

// NewItems returns the items repository over db.
func NewItems(db *DB) *Items { return &Items{db: db} }

const itemColumns = `id, seller_id, title, description, category, version, created_at, updated_at`

func scanItem(row interface{ Scan(...any) error }) (Item, error) {
	var it Item
	err := row.Scan(&it.ID, &it.SellerID, &it.Title, &it.Description, &it.Category,
		&it.Version, &it.CreatedAt, &it.UpdatedAt)
	return it, mapError(err)
}

// Create stores a new item for its seller.
func (r *Items) Create(ctx context.Context, it Item) (Item, error) {
	out, err := scanItem(r.db.Pool.QueryRow(ctx, `
		INSERT INTO items (seller_id, title, description, category) VALUES ($1, $2, $3, $4)
		RETURNING `+itemColumns, it.SellerID, it.Title, it.Description, it.Category))
	if err != nil {
		return Item{}, fmt.Errorf("create item %q: %w", it.Title, err)
	}
	return out, nil
}

// Get returns the item with the given ID.
func (r *Items) Get(ctx context.Context, id string) (Item, error) {
	if !ids.Valid(id) {
		return Item{}, fmt.Errorf("get item %q: %w", id, ErrNotFound)
	}
	it, err := scanItem(r.db.Pool.QueryRow(ctx, `SELECT `+itemColumns+` FROM items WHERE id = $1`, id))
	if err != nil {
		return Item{}, fmt.Errorf("get item %s: %w", id, err)
	}
	return it, nil
}

// Update changes an item's text fields if its version is still it.Version, so
// two editors cannot overwrite each other: a stale version is ErrConflict.
func (r *Items) Update(ctx context.Context, it Item) (Item, error) {
	out, err := scanItem(r.db.Pool.QueryRow(ctx, `
		UPDATE items SET title = $3, description = $4, category = $5,
			version = version + 1, updated_at = now()
		WHERE id = $1 AND version = $2 RETURNING `+itemColumns,
		it.ID, it.Version, it.Title, it.Description, it.Category))
	if errors.Is(err, ErrNotFound) {
		if _, gerr := r.Get(ctx, it.ID); gerr == nil {
			err = fmt.Errorf("%w: item changed since version %d", ErrConflict, it.Version)
		}
	}
	if err != nil {
		return Item{}, fmt.Errorf("update item %s: %w", it.ID, err)
	}
	return out, nil
}

// Delete removes an item (and, through the schema, its media rows). An item
// that is a lot in some room is still referenced and answers ErrConflict.
func (r *Items) Delete(ctx context.Context, id string) error {
	if !ids.Valid(id) {
		return fmt.Errorf("delete item %q: %w", id, ErrNotFound)
	}
	tag, err := r.db.Pool.Exec(ctx, `DELETE FROM items WHERE id = $1`, id)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23503" {
		return fmt.Errorf("delete item %s: %w: it is a lot in a room", id, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("delete item %s: %w", id, mapError(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete item %s: %w", id, ErrNotFound)
	}
	return nil
}

// ListBySellerAfter returns up to limit of a seller's items, newest first,
// starting after the key (nil means from the start).
func (r *Items) ListBySellerAfter(ctx context.Context, sellerID string, after *PageKey, limit int) ([]Item, error) {
	if !ids.Valid(sellerID) {
		return nil, nil
	}
	at, id := pageArgs(after)
	rows, err := r.db.Pool.Query(ctx, `SELECT `+itemColumns+` FROM items
		WHERE seller_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
		ORDER BY created_at DESC, id DESC LIMIT $4`, sellerID, at, id, limit)
	if err != nil {
		return nil, fmt.Errorf("list items of %s: %w", sellerID, mapError(err))
	}
	out, err := collect(rows, scanItem)
	if err != nil {
		return nil, fmt.Errorf("list items of %s: %w", sellerID, err)
	}
	return out, nil
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

// GetMany returns the items with the given IDs, keyed by ID; IDs that do
// not exist are simply absent.
func (r *Items) GetMany(ctx context.Context, itemIDs []string) (map[string]Item, error) {
	out := make(map[string]Item, len(itemIDs))
	valid := make([]string, 0, len(itemIDs))
	for _, id := range itemIDs {
		if ids.Valid(id) {
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
