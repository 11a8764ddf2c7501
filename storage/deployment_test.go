package storage_test

import (
	"testing"

	"github.com/bidcast/bidcast/internal/ids"
	"github.com/bidcast/bidcast/storage/storagetest"
)

// TestDeploymentIDIsOnePerDatabase: a database has one deployment ID, the
// same at every read and after migrating again; another database has
// another, and no second row can be added.
func TestDeploymentIDIsOnePerDatabase(t *testing.T) {
	ctx := ctxT(t)
	a, b := storagetest.New(t), storagetest.New(t)
	idA, err := a.DeploymentID(ctx)
	if err != nil || !ids.Valid(idA) {
		t.Fatalf("DeploymentID = %q, %v", idA, err)
	}
	if _, _, err := a.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if again, err := a.DeploymentID(ctx); err != nil || again != idA {
		t.Fatalf("DeploymentID after another Migrate = %q, %v; want %q", again, err, idA)
	}
	if idB, err := b.DeploymentID(ctx); err != nil || idB == idA {
		t.Fatalf("another database's DeploymentID = %q, %v; want one of its own (not %q)", idB, err, idA)
	}
	if _, err := a.Pool.Exec(ctx, `INSERT INTO deployment DEFAULT VALUES`); err == nil {
		t.Fatal("a second deployment row was accepted")
	}
	if _, err := a.Pool.Exec(ctx, `INSERT INTO deployment (only_row) VALUES (false)`); err == nil {
		t.Fatal("a deployment row with only_row false was accepted")
	}
}
