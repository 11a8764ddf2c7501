package storage

import "time"

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

// pageArgs turns an optional key into query arguments; a nil key gives
// NULLs, which the queries read as "from the start".
func pageArgs(after *PageKey) (*time.Time, *string) {
	if after == nil {
		return nil, nil
	}
	at, id := after.At, after.ID
	return &at, &id
}
