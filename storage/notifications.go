package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/bidcast/bidcast/internal/ids"
)

// Notification kinds.
const (
	// NotifyOutbid tells a bidder someone bid over them.
	NotifyOutbid = "outbid"
	// NotifyWon tells the winner they won a lot.
	NotifyWon = "won"
	// NotifySold tells the seller a lot sold.
	NotifySold = "sold"
	// NotifyUnsold tells the seller a lot closed without a sale.
	NotifyUnsold = "unsold"
	// NotifySellerLive tells a follower a seller's show went live; it names
	// the room and no lot (Rooms.GoLive writes it).
	NotifySellerLive = "seller_live"
)

// Notification is one message to a user about a lot, or (seller_live)
// about a room.
type Notification struct {
	ID     string
	UserID string
	Kind   string
	RoomID string
	// LotID is "" for seller_live.
	LotID string
	// Amount is the price that outbid the user, or the winning price; nil
	// when there is none (unsold).
	Amount   *int64
	Currency string
	// DedupeKey names the event the notification is about; a second
	// notification with the same key is not stored.
	DedupeKey string
	CreatedAt time.Time
	ReadAt    *time.Time
	// ItemTitle is the title of the lot's item and RoomTitle the room's;
	// ListAfter fills them.
	ItemTitle string
	RoomTitle string
}

// Notifications is the repository of users' notifications.
type Notifications struct{ db *DB }

// NewNotifications returns the notifications repository over db.
func NewNotifications(db *DB) *Notifications { return &Notifications{db: db} }

// Add stores n unless a notification with its DedupeKey exists. It
// reports whether n was new.
func (r *Notifications) Add(ctx context.Context, n Notification) (bool, error) {
	tag, err := r.db.Pool.Exec(ctx, `INSERT INTO notifications
		(user_id, kind, room_id, lot_id, amount, currency, dedupe_key) VALUES ($1, $2, $3, nullif($4, '')::uuid, $5, $6, $7)
		ON CONFLICT (dedupe_key) DO NOTHING`,
		n.UserID, n.Kind, n.RoomID, n.LotID, n.Amount, n.Currency, n.DedupeKey)
	if err != nil {
		return false, fmt.Errorf("add %s notification for %s: %w", n.Kind, n.UserID, mapError(err))
	}
	return tag.RowsAffected() == 1, nil
}

// ListAfter returns up to limit of a user's notifications, newest first,
// starting after the key (nil means from the start).
func (r *Notifications) ListAfter(ctx context.Context, userID string, after *PageKey, limit int) ([]Notification, error) {
	if !ids.Valid(userID) {
		return nil, nil
	}
	at, id := pageArgs(after)
	rows, err := r.db.Pool.Query(ctx, `SELECT n.id, n.user_id, n.kind, n.room_id, coalesce(n.lot_id::text, ''),
		n.amount, n.currency, n.dedupe_key, n.created_at, n.read_at, coalesce(i.title, ''), r.title
		FROM notifications n JOIN rooms r ON r.id = n.room_id
		LEFT JOIN lots l ON l.id = n.lot_id LEFT JOIN items i ON i.id = l.item_id
		WHERE n.user_id = $1 AND ($2::timestamptz IS NULL OR (n.created_at, n.id) < ($2, $3::uuid))
		ORDER BY n.created_at DESC, n.id DESC LIMIT $4`, userID, at, id, limit)
	if err != nil {
		return nil, fmt.Errorf("list notifications of %s: %w", userID, mapError(err))
	}
	out, err := collect(rows, func(row interface{ Scan(...any) error }) (n Notification, err error) {
		err = row.Scan(&n.ID, &n.UserID, &n.Kind, &n.RoomID, &n.LotID, &n.Amount, &n.Currency,
			&n.DedupeKey, &n.CreatedAt, &n.ReadAt, &n.ItemTitle, &n.RoomTitle)
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("list notifications of %s: %w", userID, err)
	}
	return out, nil
}

// MarkRead marks a user's notifications up to and including upTo as read.
// It returns how many changed.
func (r *Notifications) MarkRead(ctx context.Context, userID string, upTo time.Time) (int64, error) {
	if !ids.Valid(userID) {
		return 0, nil
	}
	tag, err := r.db.Pool.Exec(ctx, `UPDATE notifications SET read_at = now()
		WHERE user_id = $1 AND read_at IS NULL AND created_at <= $2`, userID, upTo)
	if err != nil {
		return 0, fmt.Errorf("mark notifications of %s read: %w", userID, mapError(err))
	}
	return tag.RowsAffected(), nil
}

// MarkReadThrough marks as read the user's notifications created no later
// than their notification id (the newest one a client has shown). An id
// that is not one of the user's marks nothing. It returns how many changed.
func (r *Notifications) MarkReadThrough(ctx context.Context, userID, id string) (int64, error) {
	if !ids.Valid(userID) || !ids.Valid(id) {
		return 0, nil
	}
	tag, err := r.db.Pool.Exec(ctx, `UPDATE notifications SET read_at = now()
		WHERE user_id = $1 AND read_at IS NULL AND (created_at, id) <= (
			SELECT created_at, id FROM notifications WHERE id = $2 AND user_id = $1)`, userID, id)
	if err != nil {
		return 0, fmt.Errorf("mark notifications of %s read through %s: %w", userID, id, mapError(err))
	}
	return tag.RowsAffected(), nil
}
