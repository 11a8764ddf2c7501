package storage

import (
	"context"
	"fmt"
)

// DeploymentID returns the ID of the deployment this database belongs to,
// made by its first migration to version 12 (table deployment). Every node
// on the database reads the same one.
func (db *DB) DeploymentID(ctx context.Context) (string, error) {
	var id string
	if err := db.Pool.QueryRow(ctx, `SELECT id::text FROM deployment`).Scan(&id); err != nil {
		return "", fmt.Errorf("read the deployment ID: %w", mapError(err))
	}
	return id, nil
}
