package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/bidcast/bidcast/internal/cli"
	"github.com/bidcast/bidcast/internal/ops"
	"github.com/bidcast/bidcast/internal/testenv"
	"github.com/bidcast/bidcast/storage/storagetest"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigErrorsAreUsageErrors(t *testing.T) {
	good := map[string]string{"DATABASE_URL": "postgres://u:p@127.0.0.1/db", "REDIS_URL": "redis://127.0.0.1:6379/0"}
	tests := []struct {
		name string
		set  map[string]string
		args []string
		want string
	}{
		{"no database", map[string]string{"DATABASE_URL": ""}, nil, "DATABASE_URL is not set"},
		{"bad database", map[string]string{"DATABASE_URL": "postgres://u:hunter2@[::1"}, nil, "DATABASE_URL does not parse"},
		{"bad redis", map[string]string{"REDIS_URL": "http://nope"}, nil, "REDIS_URL does not parse"},
		{"bad addr", map[string]string{"HTTP_ADDR": "8080"}, nil, "HTTP_ADDR"},
		{"public admin", map[string]string{"ADMIN_ADDR": "0.0.0.0:6060"}, nil, "loopback"},
		{"bad public url", map[string]string{"PUBLIC_URL": "ftp://x"}, nil, "PUBLIC_URL"},
		{"bad level", map[string]string{"LOG_LEVEL": "loud"}, nil, "LOG_LEVEL"},
		{"bad wait", map[string]string{"DB_CONNECT_WAIT": "-3s"}, nil, "DB_CONNECT_WAIT"},
		{"bad proxies", map[string]string{"TRUSTED_PROXIES": "proxy.example"}, nil, "TRUSTED_PROXIES"},
		{"bad cap", map[string]string{"WS_CONNS_PER_ADDR": "-5"}, nil, "WS_CONNS_PER_ADDR"},
		{"short metrics token", map[string]string{"METRICS_TOKEN": "short"}, nil, "METRICS_TOKEN"},
		{"bad flag", nil, []string{"--no-such-flag"}, "no-such-flag"},
		{"flag overrides env", map[string]string{"HTTP_ADDR": "8080"}, []string{"--http-addr", "127.0.0.1:9"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range good {
				env[k] = v
			}
			for k, v := range tc.set {
				env[k] = v
			}
			cfg, err := parseServeConfig(tc.args, envOf(env))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if cfg.PublicURL != "http://127.0.0.1:9" {
					t.Fatalf("PUBLIC_URL default = %q, want it derived from the flag", cfg.PublicURL)
				}
				return
			}
			var ue usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want usage error containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("error leaks a password: %v", err)
			}
		})
	}
}

// parseServeConfig loads the configuration as `auctiond serve` does.
func parseServeConfig(args []string, getenv func(string) string) (Config, error) {
	fs := flag.NewFlagSet("auctiond serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return parseConfig(fs, args, getenv)
}

// runCLI runs the command line as main does and returns its status and
// outputs.
func runCLI(args []string, getenv func(string) string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = program(&out, &errOut, getenv).Run(context.Background(), args)
	return code, out.String(), errOut.String()
}

func TestRoomCreateJSON(t *testing.T) {
	dbURL := storagetest.URL(t)
	getenv := func(k string) string {
		switch k {
		case "PUBLIC_URL":
			return "https://auction.example.test"
		case "DATABASE_URL":
			return dbURL
		}
		return testenv.Lookup(k)
	}
	code, out, errOut := runCLI([]string{"room", "create", "--title", "Cameras", "--seller", "cli-seller", "--json"}, getenv)
	if code != cli.ExitOK {
		t.Fatalf("status %d: %s", code, errOut)
	}
	var got ops.Room
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if got.RoomID == "" || !strings.HasPrefix(got.PublishToken, "pt_") ||
		got.WHIPURL != "https://auction.example.test/whip/"+got.RoomID ||
		got.WHEPURL != "https://auction.example.test/whep/"+got.RoomID ||
		got.RoomURL != "https://auction.example.test/rooms/"+got.RoomID {
		t.Fatalf("room create output = %+v", got)
	}
	for _, args := range [][]string{{"room"}, {"room", "create", "--title", "x"}, {"room", "create", "--seller", "y"}} {
		if code, _, errOut := runCLI(args, getenv); code != cli.ExitUsage {
			t.Errorf("auctiond %v: status %d (%s), want a usage error", args, code, errOut)
		}
	}
}

// TestHelpListsEveryVariable prints `auctiond help` and finds each
// configuration variable in it.
func TestHelpListsEveryVariable(t *testing.T) {
	code, out, _ := runCLI([]string{"help"}, func(string) string { return "" })
	if code != cli.ExitOK {
		t.Fatalf("status %d", code)
	}
	for _, s := range allEnv() {
		if !strings.Contains(out, "  "+s.Name+" ") {
			t.Errorf("help does not list %s", s.Name)
		}
	}
}

// TestCommandHelp asks every command for its help, as operators do: status
// 0, nothing on stderr, every flag with its default, an example, a final
// newline, and no connection to anything (no DATABASE_URL is set).
func TestCommandHelp(t *testing.T) {
	noEnv := func(string) string { return "" }
	serverFlags := []string{"-http-addr", "-public-url", "-log-level"}
	tests := []struct {
		args  []string
		flags []string // besides serverFlags
		want  string   // in the output
	}{
		{[]string{"help"}, nil, "room create --title T --seller NAME"},
		{[]string{"--help"}, nil, "user login-link REF"},
		{[]string{"-h"}, nil, "Environment"},
		{[]string{"serve", "--help"}, serverFlags, "Example:\n  auctiond serve"},
		{[]string{"--http-addr", "127.0.0.1:1", "--help"}, serverFlags, "Example:\n  auctiond serve"},
		{[]string{"migrate", "-h"}, serverFlags, "Example:\n  auctiond migrate"},
		{[]string{"room", "--help"}, nil, "room create --title T"},
		{[]string{"room", "create", "--help"}, append([]string{"-title", "-seller", "-json", "-private", "-live",
			"-guests-may-bid", "-lots", "-currency", "-opening", "-duration", "-policy"}, serverFlags...), "(default \"KRW\")"},
		{[]string{"user", "--help"}, nil, "user ban REF [REASON]"},
		{[]string{"user", "promote", "--help"}, serverFlags, "auctiond user promote local:"},
		{[]string{"user", "demote", "--help"}, serverFlags, "auctiond user demote local:"},
		{[]string{"user", "ban", "--help"}, serverFlags, "auctiond user ban local:"},
		{[]string{"user", "ban", "local:x", "spam", "--help"}, serverFlags, "auctiond user ban local:"},
		{[]string{"user", "unban", "--help"}, serverFlags, "auctiond user unban local:"},
		{[]string{"user", "login-link", "--help"}, serverFlags, "auctiond user login-link local:"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := runCLI(tc.args, noEnv)
			if code != cli.ExitOK || errOut != "" {
				t.Fatalf("status %d, stderr %q; want 0 and nothing", code, errOut)
			}
			if !strings.HasSuffix(out, "\n") || !strings.Contains(out, tc.want) {
				t.Fatalf("help does not end in a newline or lacks %q:\n%s", tc.want, out)
			}
			for _, f := range tc.flags {
				if !strings.Contains(out, "  "+f+" ") && !strings.Contains(out, "  "+f+"\n") {
					t.Errorf("help lacks flag %s:\n%s", f, out)
				}
			}
			if len(tc.flags) > 0 && !strings.Contains(out, "(default \"127.0.0.1:8080\")") {
				t.Errorf("help does not show the flags' defaults:\n%s", out)
			}
		})
	}
}

// TestCommandLineErrors: a mistake on the command line is one line on
// stderr and status 2, with nothing on stdout.
func TestCommandLineErrors(t *testing.T) {
	noEnv := func(string) string { return "" }
	for _, args := range [][]string{
		{"frobnicate"}, {"room"}, {"room", "delete"}, {"user"}, {"user", "promote"}, {"user", "banish", "x"},
		{"serve", "--no-such-flag"}, {"migrate"}, {"room", "create", "--lots", "many"},
		{"user", "ban", "--title", "x"}, {"serve"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, out, errOut := runCLI(args, noEnv)
			if code != cli.ExitUsage || out != "" {
				t.Fatalf("status %d, stdout %q; want 2 and nothing", code, out)
			}
			if !strings.HasPrefix(errOut, "auctiond: ") || strings.Count(errOut, "\n") != 1 {
				t.Fatalf("stderr %q: want one line starting auctiond:", errOut)
			}
		})
	}
	// A flag that does not parse points at the command's help.
	if _, _, errOut := runCLI([]string{"room", "create", "--lots", "many"}, noEnv); !strings.Contains(errOut, "see `auctiond room create --help`") {
		t.Errorf("a bad flag: %q, want a pointer to the command's help", errOut)
	}
}

// TestAdminAddrOff turns the admin listener off with "off", and with an
// empty ADMIN_ADDR in the real environment.
func TestAdminAddrOff(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"unset", map[string]string{}, "127.0.0.1:6060"},
		{"off", map[string]string{"ADMIN_ADDR": "off"}, ""},
		{"set", map[string]string{"ADMIN_ADDR": "127.0.0.1:7070"}, "127.0.0.1:7070"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"DATABASE_URL": "postgres://x@127.0.0.1/db", "REDIS_URL": "redis://127.0.0.1:1/0"}
			for k, v := range tc.env {
				env[k] = v
			}
			cfg, err := parseServeConfig(nil, func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if cfg.AdminAddr != tc.want {
				t.Errorf("AdminAddr = %q, want %q", cfg.AdminAddr, tc.want)
			}
		})
	}
	t.Setenv("ADMIN_ADDR", "")
	if got := environment("ADMIN_ADDR"); got != "off" {
		t.Errorf("an empty ADMIN_ADDR reads as %q, want off", got)
	}
}

// TestMigrateCommand brings a fresh schema up to date and says so.
func TestMigrateCommand(t *testing.T) {
	dbURL := storagetest.URL(t)
	getenv := func(k string) string {
		if k == "DATABASE_URL" {
			return dbURL
		}
		return testenv.Lookup(k)
	}
	code, out, errOut := runCLI([]string{"migrate"}, getenv)
	if code != cli.ExitOK || !strings.HasPrefix(out, "schema at version ") {
		t.Fatalf("migrate: status %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// TestConfigReportsEveryBadValue holds the one loader style: every
// environment reader (main's, the SFU's, the client limits') refuses a
// malformed value, booleans included, naming it, and all problems come back
// at once.
func TestConfigReportsEveryBadValue(t *testing.T) {
	env := map[string]string{"DATABASE_URL": "postgres://u:p@127.0.0.1/db", "REDIS_URL": "redis://127.0.0.1:6379/0",
		"DEMO": "maybe", "API_RATE_LIMIT_DISABLED": "sometimes", "LOT_GRACE": "soon",
		"WS_CONNS_PER_ADDR": "-5", "CLIENT_LIMITS_DISABLED": "perhaps", "SFU_LOOPBACK_CANDIDATES": "nah"}
	_, err := parseServeConfig(nil, envOf(env))
	var ue usageError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want a usage error", err)
	}
	for _, name := range []string{"DEMO", "API_RATE_LIMIT_DISABLED", "LOT_GRACE", "WS_CONNS_PER_ADDR",
		"CLIENT_LIMITS_DISABLED", "SFU_LOOPBACK_CANDIDATES"} {
		if !strings.Contains(err.Error(), name+"=") {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
}
