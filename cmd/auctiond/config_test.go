package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

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
			cfg, err := parseConfig("serve", tc.args, envOf(env))
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

func TestRoomCreateJSON(t *testing.T) {
	var out bytes.Buffer
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
	err := dispatch(context.Background(), []string{"room", "create", "--title", "Cameras", "--seller", "cli-seller", "--json"}, &out, getenv)
	if err != nil {
		t.Fatal(err)
	}
	var got ops.Room
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	if got.RoomID == "" || !strings.HasPrefix(got.PublishToken, "pt_") ||
		got.WHIPURL != "https://auction.example.test/whip/"+got.RoomID ||
		got.WHEPURL != "https://auction.example.test/whep/"+got.RoomID ||
		got.RoomURL != "https://auction.example.test/rooms/"+got.RoomID {
		t.Fatalf("room create output = %+v", got)
	}
	for _, args := range [][]string{{"room"}, {"room", "create", "--title", "x"}, {"room", "create", "--seller", "y"}} {
		if err := dispatch(context.Background(), args, &out, getenv); !errors.As(err, new(usageError)) {
			t.Errorf("dispatch(%v) = %v, want a usage error", args, err)
		}
	}
}

// TestHelpListsEveryVariable prints `auctiond help` and finds each
// configuration variable in it.
func TestHelpListsEveryVariable(t *testing.T) {
	var out bytes.Buffer
	if err := dispatch(context.Background(), []string{"help"}, &out, func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	for _, s := range append(append(append([]envSpec{}, envSpecs...), sfuEnv...), limitsEnv...) {
		if !strings.Contains(out.String(), "  "+s.name+" ") {
			t.Errorf("help does not list %s", s.name)
		}
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
			cfg, err := parseConfig("serve", nil, func(k string) string { return env[k] })
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

// TestConfigReportsEveryBadValue holds the one loader style: every
// environment reader (main's, the SFU's, the client limits') refuses a
// malformed value, booleans included, naming it, and all problems come back
// at once.
func TestConfigReportsEveryBadValue(t *testing.T) {
	env := map[string]string{"DATABASE_URL": "postgres://u:p@127.0.0.1/db", "REDIS_URL": "redis://127.0.0.1:6379/0",
		"DEMO": "maybe", "API_RATE_LIMIT_DISABLED": "sometimes", "LOT_GRACE": "soon",
		"WS_CONNS_PER_ADDR": "-5", "CLIENT_LIMITS_DISABLED": "perhaps", "SFU_LOOPBACK_CANDIDATES": "nah"}
	_, err := parseConfig("serve", nil, envOf(env))
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
