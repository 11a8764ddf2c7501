package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/bidcast/bidcast/internal/ids"
	"github.com/bidcast/bidcast/storage"
)

// cursor is what an opaque page cursor holds: the sort key of the last row
// of the previous page (a timestamp in microseconds, Postgres's precision,
// and an ID), or an ingress sequence number and an amount for bid
// histories. Clients must not build cursors; the encoding may change.
type cursor struct {
	At     int64  `json:"t,omitempty"`
	ID     string `json:"i,omitempty"`
	Seq    int64  `json:"s,omitempty"`
	Amount int64  `json:"a,omitempty"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// keyCursor is the cursor after a row with the given key.
func keyCursor(k storage.PageKey) string {
	return cursor{At: k.At.UnixMicro(), ID: k.ID}.encode()
}

// page is the query part of a listing: how many rows and after which.
type page struct {
	Limit  int
	cursor *cursor
}

// After is the storage key the page starts after, or nil for the first page.
func (p page) After() *storage.PageKey {
	if p.cursor == nil {
		return nil
	}
	return &storage.PageKey{At: time.UnixMicro(p.cursor.At).UTC(), ID: p.cursor.ID}
}

// BeforeSeq is the sequence number a bid-history page starts below, or 0.
func (p page) BeforeSeq() int64 {
	if p.cursor == nil {
		return 0
	}
	return p.cursor.Seq
}

// BeforeAmount breaks ties of BeforeSeq: bids sharing a sequence number (a
// bid and the proxy bids answering it) are paged by amount.
func (p page) BeforeAmount() int64 {
	if p.cursor == nil {
		return 0
	}
	return p.cursor.Amount
}

// keyPage reads limit and cursor for a listing ordered by (time, ID).
// Listings fetch Limit+1 rows so they know whether a next page exists
// without a count.
func (s *server) keyPage(r *http.Request) (page, error) { return s.pageParams(r, false) }

// seqPage reads limit and cursor for a listing ordered by sequence number.
func (s *server) seqPage(r *http.Request) (page, error) { return s.pageParams(r, true) }

func (s *server) pageParams(r *http.Request, bySeq bool) (page, error) {
	q := r.URL.Query()
	p := page{Limit: s.cfg.DefaultPageSize}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > s.cfg.MaxPageSize {
			return page{}, badParam("limit", "must be an integer from 1 to %d", s.cfg.MaxPageSize)
		}
		p.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		raw, err := base64.RawURLEncoding.DecodeString(v)
		var c cursor
		if err == nil {
			err = json.Unmarshal(raw, &c)
		}
		ok := err == nil && (bySeq && c.Seq > 0 && c.ID == "" || !bySeq && ids.Valid(c.ID) && c.Seq == 0)
		if !ok {
			return page{}, badParam("cursor", "is not a cursor this API issued")
		}
		p.cursor = &c
	}
	return p, nil
}

// pageOf is a listing's response: the rows and, when more follow, the
// cursor of the next page.
type pageOf[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// trimPage cuts rows fetched with limit+1 to the page and returns the cursor
// of the next page ("" on the last page), computed from the last row kept.
func trimPage[R any](rows []R, limit int, key func(R) string) ([]R, string) {
	if len(rows) <= limit {
		return rows, ""
	}
	rows = rows[:limit]
	return rows, key(rows[len(rows)-1])
}

// mapSlice converts rows to their JSON form; never nil, so an empty page
// encodes as [] rather than null.
func mapSlice[R, T any](rows []R, f func(R) T) []T {
	out := make([]T, 0, len(rows))
	for _, r := range rows {
		out = append(out, f(r))
	}
	return out
}
