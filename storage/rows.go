package storage

import "github.com/jackc/pgx/v5"

// collect reads every row of rows with scan (one of the scanX functions), in order, and closes rows. The
// error, of a row or of the query, is mapped (mapError) for the caller to
// wrap with what it was listing.
func collect[T any](rows pgx.Rows, scan func(row interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, mapError(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err)
	}
	return out, nil
}
