package main

import (
	"strings"
	"testing"

	"github.com/bidcast/bidcast/internal/cli"
	"github.com/bidcast/bidcast/internal/testenv"
	"github.com/bidcast/bidcast/storage/storagetest"
)

// TestUserCommands runs `auctiond user …` against a real database and
// Redis: a promotion, a ban with its reason, a login link under
// PUBLIC_URL, and an unknown user refused.
func TestUserCommands(t *testing.T) {
	dbURL := storagetest.URL(t)
	getenv := func(k string) string {
		switch k {
		case "PUBLIC_URL":
			return "http://127.0.0.1:8080"
		case "DATABASE_URL":
			return dbURL
		}
		return testenv.Lookup(k)
	}
	if code, _, errOut := runCLI([]string{"room", "create", "--title", "T", "--seller", "cli-user"}, getenv); code != cli.ExitOK {
		t.Fatalf("room create: status %d: %s", code, errOut)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"user", "promote", "local:cli-user"}, "admin"},
		{[]string{"user", "ban", "local:cli-user", "shill bidding"}, "ban"},
		{[]string{"user", "unban", "local:cli-user"}, "ban"},
		{[]string{"user", "login-link", "local:cli-user"}, "http://127.0.0.1:8080/auth/link/"},
	} {
		code, out, errOut := runCLI(tc.args, getenv)
		if code != cli.ExitOK || !strings.Contains(out, tc.want) {
			t.Errorf("auctiond %v: status %d, stdout %q, stderr %q; want %q", tc.args, code, out, errOut, tc.want)
		}
	}
	if code, _, _ := runCLI([]string{"user", "promote", "local:nobody"}, getenv); code == cli.ExitOK {
		t.Error("promoting an unknown user succeeded")
	}
}
