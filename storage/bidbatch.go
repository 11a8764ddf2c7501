package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/bidcast/bidcast/internal/ids"
)

// RowConflict is why CommitBatch stored nothing: row Row of the batch
// cannot be stored. Taken means its (bidder_id, bid_id) already names a
// stored bid, Stored; otherwise the row is an accepted bid whose bidder does
// not exist. The caller decides that bid again (a duplicate, or invalid)
// and commits the batch again without its row.
type RowConflict struct {
	Row    int
	Taken  bool
	Stored BidRecord
}

func (e *RowConflict) Error() string {
	if e.Taken {
		return fmt.Sprintf("bid row %d: bid_id %s of bidder %s is already stored (room %s, seq %d)",
			e.Row, e.Stored.BidID, e.Stored.BidderID, e.Stored.RoomID, e.Stored.IngressSeq)
	}
	return fmt.Sprintf("bid row %d: accepted bid of a bidder that does not exist", e.Row)
}

// insertBatchSQL inserts a batch of decided bids in one statement and
// returns the rows it did not insert: a row whose (bidder_id, bid_id) is
// taken, or whose bidder does not exist (exists = false). Like
// insertBidSQL, a bid naming no lot of its room keeps the client's lot ID in
// lot_ref. $1 is the room; the arrays are the rows' columns in order.
const insertBatchSQL = `
	WITH input AS (
		SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[],
			$9::bigint[], $10::timestamptz[], $11::text[], $12::text[], $13::timestamptz[]) WITH ORDINALITY
			AS t(bid_id, lot_text, lot_uuid, bidder_id, amount, currency, kind, ingress_seq, received_at, outcome,
				reason, created_at, ord)
	), ins AS (
		INSERT INTO bids (bid_id, room_id, lot_id, lot_ref, bidder_id, amount, currency, kind, ingress_seq,
			received_at, outcome, reason, created_at)
		SELECT i.bid_id, $1, l.id, CASE WHEN l.id IS NULL THEN i.lot_text END, i.bidder_id::uuid, i.amount,
			i.currency, i.kind, i.ingress_seq, i.received_at, i.outcome, i.reason, i.created_at
		FROM input i LEFT JOIN lots l ON l.id = NULLIF(i.lot_uuid, '')::uuid AND l.room_id = $1
		WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = i.bidder_id::uuid)
		ORDER BY i.ord
		ON CONFLICT (bidder_id, bid_id) DO NOTHING
		RETURNING bidder_id, bid_id
	)
	SELECT i.ord, EXISTS (SELECT 1 FROM users u WHERE u.id = i.bidder_id::uuid)
	FROM input i
	WHERE NOT EXISTS (SELECT 1 FROM ins WHERE ins.bidder_id = i.bidder_id::uuid AND ins.bid_id = i.bid_id)
	ORDER BY i.ord`

// CommitBatch stores a room's batch of decided bids (accepted and rejected,
// each with its Outcome, Reason and CreatedAt) and, when upd is not nil,
// the lot's state after them, in one transaction with one commit: one
// statement for all rows and one for the lot, sent together.
//
// A rejected row whose bidder does not exist is left out (the decision
// stands without its audit row). A row whose (bidder_id, bid_id) is taken,
// or an accepted row whose bidder does not exist, stores nothing and
// returns *RowConflict for the first such row. A version mismatch of the
// lot is ErrConflict and stores nothing. Through a repository fenced for
// the room (Fenced), a stale fencing token is ErrFenced and stores nothing.
//
// notes are notifications the batch gives rise to (a bidder outbid by one
// of its bids), stored with it or not at all; one whose DedupeKey is taken
// is left out, as Notifications.Add leaves it.
//
// Through a Grouped repository, the usual one-statement case shares its
// transaction with other rooms' batches (CommitGroup); what it writes and
// returns is the same.
func (r *Lots) CommitBatch(ctx context.Context, roomID string, rows []BidRecord, upd *LotUpdate, notes ...Notification) error {
	if len(rows) == 0 && upd == nil {
		return nil
	}
	token, err := r.tokenFor(roomID)
	if err != nil {
		return err
	}
	if len(rows) > 0 {
		// A taken key or a missing bidder fails the one statement; the
		// transaction below finds which row it was.
		var err error
		if r.group != nil {
			err = r.group.commit(ctx, atOnceStatement(roomID, token, rows, upd, notes))
		} else {
			err = r.commitBatchAtOnce(ctx, roomID, token, rows, upd, notes)
		}
		if !errors.Is(err, errRowRefused) {
			return err
		}
	}
	return r.commitBatchInTx(ctx, roomID, token, rows, upd, notes)
}

// commitBatchInTx is CommitBatch in a transaction: the fence check, then
// the rows and the lot's update sent together, telling which row (if any)
// cannot be stored.
func (r *Lots) commitBatchInTx(ctx context.Context, roomID string, token int64, rows []BidRecord, upd *LotUpdate,
	notes []Notification) error {
	err := r.db.InTx(ctx, func(tx pgx.Tx) error {
		if err := CheckFence(ctx, tx, roomID, token); err != nil {
			return err
		}
		b := &pgx.Batch{}
		if len(rows) > 0 {
			b.Queue(insertBatchSQL, batchArgs(roomID, rows)...)
		}
		if upd != nil {
			b.Queue(updateLotSQL, updateLotArgs(*upd)...)
		}
		if len(notes) > 0 {
			b.Queue(insertNotesSQL, append([]any{roomID}, notesArgs(notes)...)...)
		}
		br := tx.SendBatch(ctx, b)
		conflict, err := readBatch(br, rows, upd)
		if err == nil && conflict == nil && len(notes) > 0 {
			if _, nerr := br.Exec(); nerr != nil {
				err = fmt.Errorf("store %d notifications: %w", len(notes), mapError(nerr))
			}
		}
		if cerr := br.Close(); err == nil && cerr != nil {
			err = mapError(cerr)
		}
		if err != nil {
			return err
		}
		if conflict != nil {
			if conflict.Taken {
				k := rows[conflict.Row]
				stored, err := scanBidRaw(tx.QueryRow(ctx, `SELECT `+bidColumns+` FROM bids
					WHERE bidder_id = $1 AND bid_id = $2`, k.BidderID, k.BidID))
				if err != nil {
					return fmt.Errorf("read stored bid %s: %w", k.BidID, mapError(err))
				}
				conflict.Stored = stored
			}
			return conflict
		}
		return nil
	})
	var rc *RowConflict
	if errors.As(err, &rc) {
		return rc
	}
	if err != nil {
		return fmt.Errorf("commit %d bids of room %s: %w", len(rows), roomID, err)
	}
	return nil
}

// commitBatchAtOnce is CommitBatch's usual case in one statement, one round
// trip and one commit: the lot's update (if any) and every row, written only
// if the update finds the expected version and the fencing token (if not
// 0) is the room's current one. A taken key or a bidder that does not exist
// fails the statement (ErrConflict, ErrNotFound) and writes nothing; so
// does a stale token (ErrFenced).
func (r *Lots) commitBatchAtOnce(ctx context.Context, roomID string, token int64, rows []BidRecord, upd *LotUpdate,
	notes []Notification) error {
	st := atOnceStatement(roomID, token, rows, upd, notes)
	return st.check(r.db.Pool.QueryRow(ctx, st.sql, st.args...))
}

// atOnce is one room's batch as the one statement of commitBatchAtOnce,
// which a CommitGroup also sends with other rooms' in one transaction.
type atOnce struct {
	roomID string
	token  int64
	rows   int
	upd    *LotUpdate
	sql    string
	args   []any
}

// atOnceStatement builds the statement that stores rows, upd and notes.
func atOnceStatement(roomID string, token int64, rows []BidRecord, upd *LotUpdate, notes []Notification) atOnce {
	sql, args := insertAtOnceSQL, batchArgs(roomID, rows)
	if upd != nil {
		sql, args = updateAndInsertSQL, append(args, updateLotArgs(*upd)...)
	}
	args = append(args, token)
	if len(notes) > 0 {
		sql, args = insertAtOnceNotesSQL, append(args, notesArgs(notes)...)
		if upd != nil {
			sql = updateAndInsertNotesSQL
		}
	}
	return atOnce{roomID: roomID, token: token, rows: len(rows), upd: upd, sql: sql, args: args}
}

// check reads the statement's one row: nil when everything was written;
// errRowRefused (wrapping ErrConflict or ErrNotFound) for a taken key or a
// missing bidder, ErrFenced, or ErrConflict for the lot's version, each
// having written nothing.
func (st atOnce) check(row pgx.Row) error {
	var owner bool
	var updated, inserted int
	if err := row.Scan(&owner, &updated, &inserted); err != nil {
		err = mapError(err)
		if errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
			return fmt.Errorf("%w: %w", errRowRefused, err)
		}
		return fmt.Errorf("commit %d bids of room %s: %w", st.rows, st.roomID, err)
	}
	if !owner {
		return fmt.Errorf("commit %d bids of room %s: fence %d is not current: %w", st.rows, st.roomID, st.token,
			ErrFenced)
	}
	if st.upd != nil && updated == 0 {
		return fmt.Errorf("commit %d bids of room %s: %w: lot %s is not at version %d", st.rows, st.roomID,
			ErrConflict, st.upd.LotID, st.upd.ExpectVersion)
	}
	if inserted != st.rows {
		return fmt.Errorf("commit bids of room %s: stored %d of %d rows", st.roomID, inserted, st.rows)
	}
	return nil
}

// errRowRefused says a row of the one-statement batch broke a unique or
// foreign key rule.
var errRowRefused = errors.New("a row of the batch was refused")

// batchInput and batchInsert are the parts of the one-statement batch:
// the rows as a table, and their insert (which the caller may make depend
// on the lot update by a condition).
const batchInput = `input AS (
		SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[],
			$9::bigint[], $10::timestamptz[], $11::text[], $12::text[], $13::timestamptz[]) WITH ORDINALITY
			AS t(bid_id, lot_text, lot_uuid, bidder_id, amount, currency, kind, ingress_seq, received_at, outcome,
				reason, created_at, ord)
	)`

const batchInsert = `INSERT INTO bids (bid_id, room_id, lot_id, lot_ref, bidder_id, amount, currency, kind, ingress_seq,
			received_at, outcome, reason, created_at)
		SELECT i.bid_id, $1, l.id, CASE WHEN l.id IS NULL THEN i.lot_text END, i.bidder_id::uuid, i.amount,
			i.currency, i.kind, i.ingress_seq, i.received_at, i.outcome, i.reason, i.created_at
		FROM input i LEFT JOIN lots l ON l.id = NULLIF(i.lot_uuid, '')::uuid AND l.room_id = $1`

// batchFence is the one-statement batch's fence check, parameter n being
// the fencing token: fence holds the room's token for share (as CheckFence)
// if it is n, and claim.ok says the batch may write (n is 0, unfenced, or
// current). Each statement returns claim.ok first.
func batchFence(n string) string {
	return `fence AS (
		SELECT 1 FROM room_fences WHERE room_id = $1 AND token = ` + n + `::bigint FOR SHARE
	), claim AS (
		SELECT ` + n + `::bigint = 0 OR EXISTS (SELECT 1 FROM fence) AS ok
	)`
}

// atOnceSQL builds the one-statement batch: the rows ($2..$13), then the
// lot's update if withUpdate ($14.., as updateLotSQL's $1..$10), then the
// fencing token, then the notifications' columns if withNotes (notesArgs).
// The rows and notifications are written only if the fence holds and, with
// an update, the lot was at the expected version.
func atOnceSQL(withUpdate, withNotes bool) string {
	if !withUpdate {
		sql := `WITH ` + batchFence("$14")
		return atOnceTail(sql, "(SELECT ok FROM claim)", "0", withNotes, 15)
	}
	sql := `WITH ` + batchFence("$24") + `, upd AS (
		UPDATE lots SET state = $16, deadline = $17, remaining_ms = $18, high_bid = $19, leader_id = $20,
			high_bid_id = $21, proxy_state = $22, version = $23, updated_at = now()
		WHERE id = $14 AND version = $15 AND (SELECT ok FROM claim)
		RETURNING 1
	)`
	return atOnceTail(sql, "(SELECT count(*) FROM upd) = 1", "(SELECT count(*) FROM upd)", withNotes, 25)
}

// atOnceTail ends atOnceSQL's statement after its fence (and update): the
// rows and notifications (whose columns start at $notes) are written where
// written holds, and the statement returns claim.ok, updated and the rows
// written.
func atOnceTail(sql, written, updated string, withNotes bool, notes int) string {
	sql += `, ` + batchInput + `, ins AS (` + batchInsert + `
		WHERE ` + written + `
		ORDER BY i.ord RETURNING 1)`
	if withNotes {
		sql += `, note AS (` + notesInsert(notes) + `
		WHERE ` + written + `
		ON CONFLICT (dedupe_key) DO NOTHING)`
	}
	return sql + `
	SELECT (SELECT ok FROM claim), ` + updated + `, (SELECT count(*) FROM ins)`
}

var (
	insertAtOnceSQL         = atOnceSQL(false, false)
	updateAndInsertSQL      = atOnceSQL(true, false)
	insertAtOnceNotesSQL    = atOnceSQL(false, true)
	updateAndInsertNotesSQL = atOnceSQL(true, true)

	// insertNotesSQL stores notifications on their own, in the
	// transaction of commitBatchInTx.
	insertNotesSQL = notesInsert(2) + `
		ON CONFLICT (dedupe_key) DO NOTHING`
)

// notesInsert inserts the notifications whose columns are the arrays
// $first..$first+5 (notesArgs), for the room $1, leaving the conflict
// clause (after a WHERE, if any) to the caller.
func notesInsert(first int) string {
	p := func(i int) string { return fmt.Sprintf("$%d", first+i) }
	return `INSERT INTO notifications (user_id, kind, room_id, lot_id, amount, currency, dedupe_key)
		SELECT n.user_id::uuid, n.kind, $1, nullif(n.lot_id, '')::uuid, n.amount, n.currency, n.dedupe_key
		FROM unnest(` + p(0) + `::text[], ` + p(1) + `::text[], ` + p(2) + `::text[], ` + p(3) + `::bigint[], ` +
		p(4) + `::text[], ` + p(5) + `::text[]) AS n(user_id, kind, lot_id, amount, currency, dedupe_key)`
}

// notesArgs spreads notes into notesInsert's column arrays.
func notesArgs(notes []Notification) []any {
	n := len(notes)
	users, kinds, lots, currencies, keys := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n)
	amounts := make([]*int64, n)
	for i, x := range notes {
		users[i], kinds[i], lots[i], currencies[i], keys[i] = x.UserID, x.Kind, x.LotID, x.Currency, x.DedupeKey
		amounts[i] = x.Amount
	}
	return []any{users, kinds, lots, amounts, currencies, keys}
}

// readBatch reads CommitBatch's results: the first row that must not be
// left out, and the lot update's version check.
func readBatch(br pgx.BatchResults, rows []BidRecord, upd *LotUpdate) (*RowConflict, error) {
	var conflict *RowConflict
	if len(rows) > 0 {
		res, err := br.Query()
		if err != nil {
			return nil, mapError(err)
		}
		for res.Next() {
			var ord int64
			var bidderExists bool
			if err := res.Scan(&ord, &bidderExists); err != nil {
				res.Close()
				return nil, mapError(err)
			}
			i := int(ord) - 1
			if conflict == nil && (bidderExists || rows[i].Outcome == OutcomeAccepted) {
				conflict = &RowConflict{Row: i, Taken: bidderExists}
			}
		}
		res.Close()
		if err := res.Err(); err != nil {
			return nil, mapError(err)
		}
	}
	if upd != nil {
		tag, err := br.Exec()
		if err != nil {
			return nil, mapError(err)
		}
		if tag.RowsAffected() == 0 && conflict == nil {
			return nil, fmt.Errorf("%w: lot %s is not at version %d", ErrConflict, upd.LotID, upd.ExpectVersion)
		}
	}
	return conflict, nil
}

// batchArgs spreads rows into insertBatchSQL's column arrays.
func batchArgs(roomID string, rows []BidRecord) []any {
	n := len(rows)
	bidIDs, lotText, lotUUID, bidders := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	amounts, seqs := make([]int64, n), make([]int64, n)
	currencies, kinds, outcomes, reasons := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	received, created := make([]time.Time, n), make([]time.Time, n)
	for i, b := range rows {
		bidIDs[i], lotText[i], bidders[i] = b.BidID, b.LotID, b.BidderID
		if ids.Valid(b.LotID) {
			lotUUID[i] = b.LotID
		}
		amounts[i], seqs[i] = b.Amount, b.IngressSeq
		currencies[i], kinds[i], outcomes[i], reasons[i] = b.Currency, b.Kind, b.Outcome, b.Reason
		received[i], created[i] = b.ReceivedAt, b.CreatedAt
		if created[i].IsZero() {
			created[i] = time.Now()
		}
	}
	return []any{roomID, bidIDs, lotText, lotUUID, bidders, amounts, currencies, kinds, seqs, received, outcomes,
		reasons, created}
}
