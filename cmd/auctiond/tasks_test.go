package main

import "testing"

// TestOneTaskClient holds the one-Asynq-client-per-process rule: the JSON
// API's webhook worker borrows the client the wiring made (the bid ingress,
// the background worker and media are handed the same one in wire) instead
// of opening its own.
func TestOneTaskClient(t *testing.T) {
	_, app := startApp(t, testConfig(t, ""))
	if app.svc.tasks == nil || app.svc.apiDeps.Tasks != app.svc.tasks {
		t.Fatalf("API Deps.Tasks = %p, want the process's client %p", app.svc.apiDeps.Tasks, app.svc.tasks)
	}
}
