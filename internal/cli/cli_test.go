package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
)

// stub is a Program whose configuration is one flag and whose serve returns
// what the test says.
func stub(serveErr error) (*Program, *bytes.Buffer, *bytes.Buffer, *[]string) {
	var out, errOut bytes.Buffer
	var served []string
	load := func(fs *flag.FlagSet, args []string) (Settings, error) {
		fs.String("http-addr", "127.0.0.1:8080", "HTTP listen address")
		return Settings{}, fs.Parse(args)
	}
	p := &Program{
		Load: load,
		Serve: func(_ context.Context, fs *flag.FlagSet, args []string) error {
			if _, err := load(fs, args); err != nil {
				return UsageError{err}
			}
			served = append(served, strings.Join(args, " "))
			return serveErr
		},
		Environment: "  HTTP_ADDR  127.0.0.1:8080\n",
		Stdout:      &out, Stderr: &errOut,
	}
	return p, &out, &errOut, &served
}

// TestExitStatuses: help is 0, a usage error 2, a failure while running 1;
// an error is one line on stderr however many lines it has.
func TestExitStatuses(t *testing.T) {
	tests := []struct {
		args     []string
		serveErr error
		code     int
		served   bool
	}{
		{nil, nil, ExitOK, true},
		{[]string{"--http-addr", "127.0.0.1:1"}, nil, ExitOK, true},
		{[]string{"help"}, nil, ExitOK, false},
		{[]string{"serve", "-h"}, nil, ExitOK, false},
		{[]string{"user", "--help"}, nil, ExitOK, false},
		{[]string{"nope"}, nil, ExitUsage, false},
		{[]string{"serve", "--nope"}, nil, ExitUsage, false},
		{[]string{"user", "promote"}, nil, ExitUsage, false},
		{nil, UsageError{errors.New("HTTP_ADDR in use")}, ExitUsage, true},
		{nil, errors.Join(errors.New("first"), errors.New("second")), ExitFailure, true},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			p, out, errOut, served := stub(tc.serveErr)
			if code := p.Run(context.Background(), tc.args); code != tc.code {
				t.Fatalf("status %d, want %d (stderr %q)", code, tc.code, errOut)
			}
			if got := len(*served) > 0; got != tc.served {
				t.Fatalf("served = %v, want %v", got, tc.served)
			}
			if tc.code == ExitOK {
				if errOut.Len() != 0 || (!tc.served && !strings.HasSuffix(out.String(), "\n")) {
					t.Fatalf("stdout %q, stderr %q", out, errOut)
				}
				return
			}
			if out.Len() != 0 || strings.Count(errOut.String(), "\n") != 1 || !strings.HasPrefix(errOut.String(), "auctiond: ") {
				t.Fatalf("stdout %q, stderr %q: want one line on stderr only", out, errOut)
			}
		})
	}
}

// TestCommandHelpShowsDefaults prints serve's help: its flag with the
// default, and the example.
func TestCommandHelpShowsDefaults(t *testing.T) {
	p, out, _, _ := stub(nil)
	p.Run(context.Background(), []string{"serve", "--help"})
	for _, want := range []string{"Usage:\n  auctiond serve", "-http-addr string", `(default "127.0.0.1:8080")`, "Example:\n  auctiond serve"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
}
